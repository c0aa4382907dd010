"""Helpers shared by the scheduling pages."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.http import HttpRequest

from peerlearn.accounts.models import User
from peerlearn.accounts.services import profile_ensure
from peerlearn.common.web import is_htmx


def tz_name_of(user: User) -> str:
    name = profile_ensure(user=user).timezone
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def wants_partial(request: HttpRequest) -> bool:
    """An HTMX swap wants the fragment; a history restore (back button) wants the whole page."""
    return is_htmx(request) and request.headers.get("HX-History-Restore-Request") != "true"


def first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        prefix = f"{label}: " if label and field != "__all__" else ""
        return f"{prefix}{errors[0]}"
    return "Please check what you entered."
