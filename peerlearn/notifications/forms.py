"""The notification settings form. It parses; ``services.notification_settings_update`` decides."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

# The reminder times offered as checkboxes (minutes before the session).
REMINDER_CHOICES_MINUTES = [15, 60, 180, 1440, 2880]


def offset_label(minutes: int) -> str:
    """``15`` → ``"15 min before"``, ``60`` → ``"1 h before"``, ``90`` → ``"1 h 30 min before"``."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min before"
    if not rest:
        return f"{hours} h before"
    return f"{hours} h {rest} min before"


class TelInput(forms.TextInput):
    input_type = "tel"


class NotificationSettingsForm(forms.Form):
    email_enabled = forms.BooleanField(required=False, label="Email me my notifications")
    phone_number = forms.CharField(
        max_length=32,
        required=False,
        label="Mobile number",
        widget=TelInput(attrs={"autocomplete": "tel", "placeholder": "+4915123456789"}),
        help_text="With the country code. Used only for text messages you opt in to.",
    )
    sms_opt_in = forms.BooleanField(
        required=False, label="Text me session reminders and last-minute changes"
    )
    reminder_offsets_minutes = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Remind me before each session",
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose up to five. Reminders come in the app, by email and (if on) by text.",
    )

    def __init__(self, *args: Any, current_offsets: Iterable[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keep times set through the API visible (and kept) even if they are not offered here.
        offsets = sorted(set(REMINDER_CHOICES_MINUTES) | set(current_offsets))
        field = self.fields["reminder_offsets_minutes"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(m, offset_label(m)) for m in offsets]
