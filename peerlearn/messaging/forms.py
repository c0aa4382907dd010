from __future__ import annotations

from django import forms

from .services import MAX_BODY_CHARS, MAX_TITLE_CHARS


class MessageForm(forms.Form):
    body = forms.CharField(
        required=False,
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Write a message…"}),
        label="Message",
    )
    file = forms.FileField(required=False, label="Attach a file")


class StartForm(forms.Form):
    title = forms.CharField(required=False, max_length=MAX_TITLE_CHARS, label="Group name")
    body = forms.CharField(
        required=False,
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Say hello…"}),
        label="Message",
    )


class ReportForm(forms.Form):
    reason = forms.CharField(max_length=500, label="What is wrong with this message?")
