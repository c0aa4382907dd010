"""Settings of practice-partner matching (defined, with their defaults and meaning, in
``config/settings.py``); read at call time so tests can override them."""

from __future__ import annotations

from django.conf import settings


def get(name: str) -> float:
    return float(getattr(settings, name))
