"""Web forms for profiles, subjects, availability and verification. They parse; services decide."""

from __future__ import annotations

import re
import zoneinfo
from datetime import time
from operator import itemgetter

from django import forms

from . import selectors
from .models import AvailabilityException, LearningStyle, Level, SessionFormat
from .services import LANGUAGE_CODES, ProfileInput, WindowInput

TIMEZONES = sorted(
    tz for tz in zoneinfo.available_timezones() if "/" in tz and not tz.startswith("Etc/")
)


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=80)
    bio = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=2000)
    programme = forms.CharField(
        max_length=120, required=False, help_text="e.g. BSc Computer Science"
    )
    year_of_study = forms.IntegerField(min_value=1, max_value=10, required=False)
    timezone = forms.ChoiceField(
        label="Time zone", choices=[("UTC", "UTC")] + [(t, t.replace("_", " ")) for t in TIMEZONES]
    )
    languages = forms.MultipleChoiceField(
        choices=sorted(LANGUAGE_CODES.items(), key=itemgetter(1)),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    city = forms.CharField(max_length=120, required=False)
    latitude = forms.FloatField(min_value=-90, max_value=90, required=False)
    longitude = forms.FloatField(min_value=-180, max_value=180, required=False)
    learning_styles = forms.MultipleChoiceField(
        choices=LearningStyle.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    session_formats = forms.MultipleChoiceField(
        choices=SessionFormat.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def to_input(self) -> ProfileInput:
        d = self.cleaned_data
        return ProfileInput(
            display_name=d["display_name"],
            bio=d["bio"],
            programme=d["programme"],
            year_of_study=d["year_of_study"],
            timezone=d["timezone"],
            languages=d["languages"],
            city=d["city"],
            latitude=d["latitude"],
            longitude=d["longitude"],
            learning_styles=d["learning_styles"],
            session_formats=d["session_formats"],
        )


class AvatarForm(forms.Form):
    avatar = forms.FileField(
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"})
    )


class SubjectChoiceField(forms.TypedChoiceField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(coerce=int, **kwargs)  # type: ignore[arg-type]

    def refresh(self) -> None:
        self.choices = [("", "Choose a subject or topic…"), *selectors.subject_choices()]


class LearningSubjectForm(forms.Form):
    subject = SubjectChoiceField()
    level = forms.ChoiceField(choices=Level.choices, initial=Level.BEGINNER)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["subject"].refresh()  # type: ignore[attr-defined]


class TeachingSubjectForm(forms.Form):
    subject = SubjectChoiceField()
    proficiency = forms.ChoiceField(choices=Level.choices, initial=Level.ADVANCED)
    evidence = forms.CharField(
        max_length=200,
        required=False,
        help_text="Course grade or role, e.g. 'A in MATH201' or 'TA, Algorithms 2025'",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["subject"].refresh()  # type: ignore[attr-defined]


RANGE_RE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*[-–]\s*(\d{1,2})(?::(\d{2}))?\s*$")


def parse_ranges(text: str, weekday: int) -> list[WindowInput]:
    """'09:00-12:00, 14-18' → windows. '24:00' is accepted as an end meaning midnight."""
    windows = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = RANGE_RE.match(part)
        if not match:
            raise forms.ValidationError(f"“{part}” is not a time range like 09:00-12:00.")
        h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
        if h2 == 24 and m2 == 0:
            h2, m2 = 23, 59
        if not (0 <= h1 < 24 and 0 <= h2 < 24 and m1 < 60 and m2 < 60):
            raise forms.ValidationError(f"“{part}” has an impossible time.")
        windows.append(WindowInput(weekday=weekday, start_time=time(h1, m1), end_time=time(h2, m2)))
    return windows


class WeeklyAvailabilityForm(forms.Form):
    """One text field per weekday holding comma-separated ranges."""

    def __init__(
        self, *args: object, initial_windows: list | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        by_day: dict[int, list[str]] = {d: [] for d in range(7)}
        for w in initial_windows or []:
            by_day[w.weekday].append(f"{w.start_time:%H:%M}-{w.end_time:%H:%M}")
        for day, name in enumerate(selectors.WEEKDAY_NAMES):
            self.fields[f"day_{day}"] = forms.CharField(
                label=name,
                required=False,
                initial=", ".join(by_day[day]),
                widget=forms.TextInput(attrs={"placeholder": "e.g. 09:00-12:00, 14:00-18:00"}),
            )

    def windows(self) -> list[WindowInput]:
        result: list[WindowInput] = []
        for day in range(7):
            try:
                result.extend(parse_ranges(self.cleaned_data.get(f"day_{day}", ""), day))
            except forms.ValidationError as exc:
                self.add_error(f"day_{day}", exc)
        return result


class AvailabilityExceptionForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(choices=AvailabilityException.Kind.choices)
    start_time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    note = forms.CharField(max_length=120, required=False)


class VerificationUploadForm(forms.Form):
    subject = forms.TypedChoiceField(coerce=int)
    document = forms.FileField(
        help_text="PDF, PNG, JPEG or WebP, up to 10 MB: a transcript, TA appointment or staff ID.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/png,image/jpeg,image/webp"}
        ),
    )
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: object, teaching: list | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["subject"].choices = [(t.subject_id, t.subject.name) for t in teaching or []]  # type: ignore[attr-defined]


class VerificationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve: the evidence shows this level"), ("reject", "Reject")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)
