"""Web forms for reviews. The services decide; these only parse."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import (
    COMMENT_MAX,
    HIDE_REASON_MAX,
    LEARNER_DIMENSIONS,
    LEARNER_TAGS,
    REPORT_REASON_MAX,
    TUTOR_DIMENSIONS,
    TUTOR_TAGS,
    Review,
)

STAR_CHOICES = [(n, f"{n} star{'s' if n > 1 else ''}") for n in range(1, 6)]

DIMENSION_HELP = {
    "clarity": "Were the explanations easy to follow?",
    "knowledge": "Did they know the subject well?",
    "patience": "Did they take the time you needed?",
    "punctuality": "Did the session start and end on time?",
    "preparedness": "Did they come with questions, material or tried exercises?",
    "engagement": "Did they take part actively?",
}


class ReviewForm(forms.Form):
    """Scores (radio groups of 1–5 stars) for the direction's dimensions, a comment, tags."""

    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX}),
        help_text=f"Plain text, up to {COMMENT_MAX} characters.",
    )

    def __init__(self, *args: Any, direction: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.direction = direction
        of_tutor = direction == Review.Direction.OF_TUTOR
        self.dimensions = TUTOR_DIMENSIONS if of_tutor else LEARNER_DIMENSIONS
        for name in self.dimensions:
            self.fields[name] = forms.TypedChoiceField(
                choices=STAR_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                label=name.capitalize(),
                help_text=DIMENSION_HELP[name],
                error_messages={"required": f"Choose 1 to 5 stars for {name}."},
            )
        self.fields["tags"] = forms.MultipleChoiceField(
            required=False,
            choices=list((TUTOR_TAGS if of_tutor else LEARNER_TAGS).items()),
            widget=forms.CheckboxSelectMultiple,
        )
        self.order_fields([*self.dimensions, "tags", "comment"])

    def score_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.dimensions]

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in self.dimensions}

    @classmethod
    def initial_from(cls, review: Review) -> dict[str, Any]:
        return {**review.scores, "comment": review.comment, "tags": list(review.tags)}


class ReportForm(forms.Form):
    reason = forms.CharField(
        max_length=REPORT_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REPORT_REASON_MAX}),
        help_text="What is abusive about it? A moderator reads this.",
    )


class HideForm(forms.Form):
    reason = forms.CharField(
        max_length=HIDE_REASON_MAX,
        widget=forms.TextInput(attrs={"maxlength": HIDE_REASON_MAX}),
        help_text="Recorded with your name; the author sees it.",
    )
