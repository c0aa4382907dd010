from __future__ import annotations

from django import forms

from .models import BODY_MAX, REASON_MAX, TITLE_MAX


class ThreadForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    body = forms.CharField(
        max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 10, "data-md-input": ""})
    )
    tags = forms.CharField(
        required=False,
        max_length=200,
        help_text="Up to 5, separated by spaces or commas: python recursion",
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        max_length=BODY_MAX,
        label="Your reply",
        widget=forms.Textarea(attrs={"rows": 6, "data-md-input": ""}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=REASON_MAX)
