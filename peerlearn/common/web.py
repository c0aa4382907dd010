"""Small helpers shared by web views."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import ServiceError


def form_error(form: forms.Form, exc: ServiceError, aliases: Mapping[str, str] = {}) -> None:
    """Show a service's refusal on the form: next to the (visible) field it names when there is
    one (``aliases`` maps a service's field name to the form's), else above the form."""
    name = aliases.get(exc.field or "", exc.field)
    visible = name in form.fields and not form.fields[name].widget.is_hidden
    form.add_error(name if visible else None, exc.message)


def paginate(request: HttpRequest, items: QuerySet | list, per_page: int = 20) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_referer(request: HttpRequest, default: str) -> str:
    """The page the request came from when it is on this site, else ``default``."""
    return _on_site(request, request.headers.get("Referer") or "", default)


def safe_next(request: HttpRequest, default: str) -> str:
    """The POSTed ``next`` page when it is on this site, else ``default``."""
    return _on_site(request, request.POST.get("next") or "", default)


def _on_site(request: HttpRequest, target: str, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
