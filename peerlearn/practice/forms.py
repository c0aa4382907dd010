from __future__ import annotations

from django import forms

from .models import Difficulty, PracticeSession


class SessionCreateForm(forms.Form):
    problem = forms.SlugField(
        required=False, help_text="Leave empty for a random problem matching the filters below."
    )
    difficulty = forms.ChoiceField(required=False, choices=[("", "Any"), *Difficulty.choices])
    topic = forms.SlugField(required=False)
    visibility = forms.ChoiceField(
        choices=PracticeSession.Visibility.choices,
        initial=PracticeSession.Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Private sessions only: share it with your partner along with the link.",
    )


class JoinForm(forms.Form):
    password = forms.CharField(
        required=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
