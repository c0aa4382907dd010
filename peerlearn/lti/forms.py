from __future__ import annotations

from django import forms

from peerlearn.accounts.models import Subject
from peerlearn.practice.models import PracticeTopic

from .models import Placement


class SubjectChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Subject) -> str:
        # Names repeat under different parents ("Advanced (C1-C2)" of each language).
        return f"{obj.parent.name} › {obj.name}" if obj.parent is not None else obj.name


class CurateForm(forms.Form):
    intro = forms.CharField(
        label="Introduction",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown at the top of the course page.",
    )
    subjects = SubjectChoices(
        queryset=Subject.objects.filter(kind__in=["subject", "topic"])
        .select_related("parent")
        .order_by("parent__name", "name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Tutors who teach these, and group sessions in them, are listed.",
    )
    topics = forms.ModelMultipleChoiceField(
        queryset=PracticeTopic.objects.order_by("name"),
        required=False,
        label="Practice sets",
        widget=forms.CheckboxSelectMultiple,
    )


class PlacementForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Placement.Kind.choices, widget=forms.RadioSelect, label="What to place"
    )
    problem = forms.CharField(required=False, label="Problem")
    topic = forms.CharField(required=False, label="Problem set")
    graded = forms.BooleanField(
        required=False,
        label="Send the learner's best score to the gradebook",
        help_text="For a problem: creates a gradebook column (0-100, tests passed).",
    )

    def target(self) -> str:
        kind = self.cleaned_data["kind"]
        if kind == Placement.Kind.PROBLEM:
            return str(self.cleaned_data.get("problem") or "")
        if kind == Placement.Kind.TOPIC:
            return str(self.cleaned_data.get("topic") or "")
        return ""
