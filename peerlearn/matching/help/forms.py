"""Web forms for help requests: they parse (a local wall-clock time in the learner's zone
becomes an aware datetime); the service decides."""

from __future__ import annotations

from typing import Any

from django import forms

from peerlearn.accounts.models import Subject
from peerlearn.scheduling.forms import DEFAULT_DURATION, DURATION_CHOICES, LocalDateTimeField

from .services import DESCRIPTION_MAX


def subject_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Subjects and their topics, grouped by area (areas themselves are too broad)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    rows = Subject.objects.exclude(kind=Subject.Kind.AREA).select_related(
        "parent", "parent__parent"
    )
    for s in sorted(rows, key=lambda s: (s.kind != Subject.Kind.SUBJECT, s.name)):
        if s.kind == Subject.Kind.SUBJECT:
            area = s.parent.name if s.parent else ""
            groups.setdefault(area, []).append((s.pk, s.name))
        else:
            parent = s.parent
            area = (
                parent.parent.name if parent and parent.parent else (parent.name if parent else "")
            )
            label = f"{parent.name} › {s.name}" if parent else s.name
            groups.setdefault(area, []).append((s.pk, label))
    return [(area, sorted(items, key=lambda i: i[1])) for area, items in sorted(groups.items())]


class HelpRequestForm(forms.Form):
    subject = forms.TypedChoiceField(coerce=int, label="Subject or topic")
    description = forms.CharField(
        max_length=DESCRIPTION_MAX,
        label="What do you need help with?",
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "e.g. I am stuck on Dijkstra with negative edges…"}
        ),
    )
    starts_at = LocalDateTimeField(label="When")
    duration = forms.TypedChoiceField(
        coerce=int, choices=DURATION_CHOICES, initial=DEFAULT_DURATION, label="How long"
    )

    def __init__(self, *args: Any, tz_name: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [("", "Pick a subject…"), *subject_choices()]  # type: ignore[attr-defined]
        self.fields["starts_at"].tz_name = tz_name  # type: ignore[attr-defined]
        self.fields["starts_at"].help_text = f"Your time zone: {tz_name}"


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)
