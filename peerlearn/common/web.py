"""Small helpers shared by web views."""

from __future__ import annotations

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from .errors import ServiceError


def form_error_from_service(form: forms.Form, exc: ServiceError) -> None:
    """Show a service's refusal on the form, next to the field it names when there is one."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def paginate(request: HttpRequest, items: QuerySet | list, per_page: int = 20) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
