"""Small helpers shared by web views."""

from __future__ import annotations

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import ServiceError


def form_error_from_service(form: forms.Form, exc: ServiceError) -> None:
    """Show a service's refusal on the form, next to the field it names when there is one."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def paginate(request: HttpRequest, items: QuerySet | list, per_page: int = 20) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(request: HttpRequest, default: str) -> str:
    """The POSTed ``next`` page when it is on this site, else ``default``."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
