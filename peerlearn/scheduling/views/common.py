"""Helpers shared by the scheduling pages."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.http import Http404, HttpRequest

from peerlearn.accounts.models import User
from peerlearn.accounts.services import profile_ensure
from peerlearn.common.errors import NotFound, ServiceError
from peerlearn.common.web import is_htmx

from .. import selectors
from ..models import Booking


def viewer_of(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def tz_name_of(user: User) -> str:
    name = profile_ensure(user=user).timezone
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def booking_or_404(user: User, booking_id: int) -> Booking:
    try:
        return selectors.access_booking(user=user, booking_id=booking_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def wants_partial(request: HttpRequest) -> bool:
    """An HTMX swap wants the fragment; a history restore (back button) wants the whole page."""
    return is_htmx(request) and request.headers.get("HX-History-Restore-Request") != "true"


def form_error(form: forms.Form, exc: ServiceError, aliases: Mapping[str, str] = {}) -> None:
    """Show a service's refusal next to the field it names (service and form names differ)."""
    name = aliases.get(exc.field or "", exc.field)
    visible = name in form.fields and not form.fields[name].widget.is_hidden
    form.add_error(name if visible else None, exc.message)


def first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        prefix = f"{label}: " if label and field != "__all__" else ""
        return f"{prefix}{errors[0]}"
    return "Please check what you entered."
