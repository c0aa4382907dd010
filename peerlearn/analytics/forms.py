from __future__ import annotations

from django import forms

from peerlearn.accounts.models import Subject

from .models import LearnerGoal


class GoalForm(forms.Form):
    kind = forms.ChoiceField(choices=LearnerGoal.Kind.choices, label="What to count")
    target = forms.IntegerField(min_value=1, max_value=1000, label="Target")
    due_on = forms.DateField(label="By", widget=forms.DateInput(attrs={"type": "date"}))
    subject = forms.ModelChoiceField(
        queryset=Subject.objects.none(),
        required=False,
        label="Subject (sessions and hours only)",
        empty_label="Any subject",
    )

    def __init__(self, *args: object, subjects: list[Subject] | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["subject"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Subject.objects.filter(pk__in=[s.pk for s in subjects or []])
