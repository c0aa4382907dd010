from __future__ import annotations

from django import forms

from peerlearn.practice.models import Difficulty


class PartnerRequestForm(forms.Form):
    topic = forms.CharField(max_length=40)
    difficulty = forms.ChoiceField(choices=Difficulty.choices)
