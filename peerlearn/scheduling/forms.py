"""Web forms for scheduling. They parse (and turn local wall-clock times into aware datetimes);
the services decide."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from peerlearn.accounts.models import TeachingSubject

from .models import TutorPolicy
from .selectors import DURATIONS

DURATION_CHOICES = [(m, f"{m} min") for m in DURATIONS]
DEFAULT_DURATION = 60
LOCAL_INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def aware_from_local(naive: datetime, tz_name: str) -> datetime:
    """A wall-clock time in ``tz_name`` as an aware datetime. Times that do not exist (the hour
    skipped when clocks go forward) or happen twice (when clocks go back) are refused: guessing
    would book the wrong hour."""
    tz = ZoneInfo(tz_name)
    earlier, later = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return earlier
    round_trip = earlier.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        raise forms.ValidationError(
            "%(time)s does not exist in %(tz)s: the clocks jump forward over it (daylight "
            "saving). Pick another time.",
            code="nonexistent",
            params={"time": naive.strftime("%d %b %Y, %H:%M"), "tz": tz_name},
        )
    raise forms.ValidationError(
        "%(time)s happens twice in %(tz)s: the clocks go back over it (daylight saving). "
        "Pick a time outside that hour.",
        code="ambiguous",
        params={"time": naive.strftime("%d %b %Y, %H:%M"), "tz": tz_name},
    )


class LocalDateTimeField(forms.Field):
    """A ``datetime-local`` input read as a wall-clock time in the viewer's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT)
    default_error_messages = {"invalid": "Enter a date and time."}

    def __init__(self, *, tz_name: str = "UTC", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tz_name = tz_name

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        naive = (
            value.replace(tzinfo=None)
            if isinstance(value, datetime)
            else _parse_local(str(value).strip())
        )
        if naive is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return aware_from_local(naive, self.tz_name)


def _parse_local(text: str) -> datetime | None:
    for fmt in LOCAL_INPUT_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def local_input_value(moment: datetime, tz_name: str) -> str:
    """The value a ``datetime-local`` input shows for an aware datetime in the viewer's zone."""
    return moment.astimezone(ZoneInfo(tz_name)).strftime(LOCAL_INPUT_FORMAT)


def _subject_choices(teaching: Iterable[TeachingSubject]) -> list[tuple[int, str]]:
    return [(t.subject_id, t.subject.name) for t in teaching]


class SlotFilterForm(forms.Form):
    """The booking page's query: which subject, how long, and whose free time."""

    subject = forms.TypedChoiceField(coerce=int)
    duration = forms.TypedChoiceField(
        coerce=int, choices=DURATION_CHOICES, initial=DEFAULT_DURATION
    )
    both = forms.BooleanField(required=False, label="Only times we are both free")
    week = forms.IntegerField(min_value=0, max_value=30, required=False)

    def __init__(self, *args: Any, teaching: Iterable[TeachingSubject] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = _subject_choices(teaching)  # type: ignore[attr-defined]


class BookingRequestForm(forms.Form):
    """Confirming a picked slot: the slot travels as an aware ISO timestamp."""

    subject = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    duration = forms.TypedChoiceField(
        coerce=int, choices=DURATION_CHOICES, widget=forms.HiddenInput
    )
    both = forms.BooleanField(required=False, widget=forms.HiddenInput)
    start = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        max_length=500,
        required=False,
        label="Note for the tutor",
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "What would you like to work on? (optional)"}
        ),
    )
    weekly = forms.BooleanField(required=False, label="Repeat every week")
    occurrences = forms.IntegerField(
        min_value=2, max_value=26, required=False, initial=4, label="Number of sessions"
    )

    def __init__(self, *args: Any, teaching: Iterable[TeachingSubject] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = _subject_choices(teaching)  # type: ignore[attr-defined]

    def clean_start(self) -> datetime:
        moment = parse_slot_start(self.cleaned_data["start"])
        if moment is None:
            raise forms.ValidationError("Pick a time from the list.", code="invalid")
        return moment

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("weekly") and not data.get("occurrences"):
            self.add_error("occurrences", "How many weekly sessions? Between 2 and 26.")
        return data


def slot_token(moment: datetime) -> str:
    """How a slot's start travels in links and hidden fields: UTC, ISO 8601, URL-safe."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_slot_start(text: str | None) -> datetime | None:
    """A slot's start as sent back by the page (ISO 8601 with its offset); None if unusable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Reason")


class ProposeTimeForm(forms.Form):
    """Counter-proposals and reschedules: a new start in the viewer's own zone."""

    starts_at = LocalDateTimeField(label="New start")
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, tz_name: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].tz_name = tz_name  # type: ignore[attr-defined]


class RescheduleAnswerForm(forms.Form):
    proposal = forms.IntegerField(min_value=1)
    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])


class NoShowForm(forms.Form):
    absent_user = forms.IntegerField(min_value=1, label="Who did not come")


class GroupSessionForm(forms.Form):
    title = forms.CharField(
        max_length=120, required=False, widget=forms.TextInput(attrs={"placeholder": "Exam prep"})
    )
    subject = forms.TypedChoiceField(coerce=int)
    starts_at = LocalDateTimeField(label="Starts")
    duration = forms.TypedChoiceField(
        coerce=int, choices=DURATION_CHOICES, initial=DEFAULT_DURATION
    )
    capacity = forms.IntegerField(min_value=2, max_value=50, initial=6, label="Seats")

    def __init__(
        self,
        *args: Any,
        teaching: Iterable[TeachingSubject] = (),
        tz_name: str = "UTC",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = _subject_choices(teaching)  # type: ignore[attr-defined]
        self.fields["starts_at"].tz_name = tz_name  # type: ignore[attr-defined]
        self.fields["starts_at"].help_text = f"In your time zone, {tz_name}."


class TutorPolicyForm(forms.Form):
    buffer_before_minutes = forms.IntegerField(
        min_value=0, max_value=120, label="Buffer before", help_text="Minutes kept free before."
    )
    buffer_after_minutes = forms.IntegerField(
        min_value=0, max_value=120, label="Buffer after", help_text="Minutes kept free after."
    )
    min_notice_hours = forms.IntegerField(
        min_value=0,
        max_value=336,
        label="Minimum notice",
        help_text="Hours ahead a request must come.",
    )
    max_sessions_per_day = forms.IntegerField(
        min_value=1, max_value=24, label="Sessions per day", help_text="At most, on any one day."
    )
    horizon_weeks = forms.IntegerField(
        min_value=1,
        max_value=26,
        label="Booking horizon",
        help_text="Weeks ahead you can be booked.",
    )

    @classmethod
    def for_policy(cls, policy: TutorPolicy, data: Any = None) -> TutorPolicyForm:
        initial = {name: getattr(policy, name) for name in cls.base_fields}
        return cls(data, initial=initial)
