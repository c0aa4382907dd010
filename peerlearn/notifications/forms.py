"""The notification settings form. It parses; ``services.notification_settings_update`` decides."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from .models import CHANNELS, KIND_GROUPS, Notification, channels_for

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


def pref_field_name(kind: str, channel: str) -> str:
    return f"pref_{kind}_{channel}"


class NotificationSettingsForm(forms.Form):
    """The delivery settings plus one checkbox per kind × channel (``pref_<kind>_<channel>``).

    ``preferences()`` returns the grid as ``{kind: {channel: on}}`` for
    ``services.notification_preferences_update``."""

    # Marks a post of the full page: only then are the grid and the digest switch (checkboxes,
    # absent when unticked) applied, so an older or partial form never switches everything off.
    grid = forms.BooleanField(required=False, initial=True, widget=forms.HiddenInput)
    email_enabled = forms.BooleanField(
        required=False,
        label="Send me email",
        help_text="The master switch: off means no email at all, whatever is ticked below.",
    )
    digest_enabled = forms.BooleanField(
        required=False,
        label="Send me a daily digest",
        help_text="Once a day, one email with what you have not seen and were not emailed about.",
    )
    phone_number = forms.CharField(
        max_length=32,
        required=False,
        label="Mobile number",
        widget=TelInput(attrs={"autocomplete": "tel", "placeholder": "+4915123456789"}),
        help_text="With the country code. Used only for text messages you opt in to.",
    )
    sms_opt_in = forms.BooleanField(required=False, label="Text me session reminders")
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
        for _group, kinds in KIND_GROUPS:
            for kind in kinds:
                label = Notification.Kind(kind).label
                for channel in channels_for(kind):
                    self.fields[pref_field_name(kind, channel)] = forms.BooleanField(
                        required=False, label=f"{label}: {channel.replace('_', '-')}"
                    )

    def grid_rows(self) -> list[dict[str, Any]]:
        """Rows for the template: each group with its kinds and one cell per channel (None
        where the kind does not have that channel)."""
        groups = []
        for group, kinds in KIND_GROUPS:
            rows = []
            for kind in kinds:
                cells = [
                    self[pref_field_name(kind, c)] if c in channels_for(kind) else None
                    for c in CHANNELS
                ]
                rows.append({"kind": kind, "label": Notification.Kind(kind).label, "cells": cells})
            groups.append({"name": group, "rows": rows})
        return groups

    def preferences(self) -> dict[str, dict[str, bool]]:
        return {
            kind: {
                c: bool(self.cleaned_data.get(pref_field_name(kind, c))) for c in channels_for(kind)
            }
            for _group, kinds in KIND_GROUPS
            for kind in kinds
        }


def preference_initial(prefs: Any) -> dict[str, bool]:
    """Initial checkbox values from a ``NotificationSettings``."""
    return {
        pref_field_name(kind, c): prefs.wants(kind, c)
        for _group, kinds in KIND_GROUPS
        for kind in kinds
        for c in channels_for(kind)
    }
