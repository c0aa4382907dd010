"""What every app's ``admin.py`` shares: read-only records, and actions that go through a service.

The admin never writes a field whose change has a rule: those models are ``RecordAdmin``
(viewable, searchable, never added, changed or deleted by hand), and their changes are admin
actions made with ``service_action``, each calling the service that owns the rule (the service
records the audit entry). An action on an object whose state forbids it shows the service's
explanation for that object and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from peerlearn.common.errors import ServiceError

from .models import User

# Selecting thousands of rows and applying one action to them is a script's job, not a click's.
MAX_ACTION_OBJECTS = 200


class StaffPermissions:
    """``allowed_permissions`` names for actions: ``moderate`` and ``suspend`` are the staff
    permissions of ``accounts.roles``; ``operate`` is the model's own change permission (held
    by Administrators), checked even where the change form itself is read-only."""

    opts: Any

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.moderate")

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.suspend_user")

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")


class BaseAdmin(StaffPermissions, admin.ModelAdmin):
    """Defaults for big tables: no full count on every page, a sane page size."""

    show_full_result_count = False
    list_per_page = 50


class RecordAdmin(BaseAdmin):
    """A record whose rows only services write: shown, never added, edited or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecordInline(admin.TabularInline):
    """A read-only inline list of related records."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Every shown field, the non-editable ones (created_at, ...) included.
        return [str(name) for name in self.fields or ()]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=1000,
        help_text="Recorded in the audit log; shown to the people it concerns.",
    )


Apply = Callable[[User, Any, str], object]


def service_action(
    *,
    name: str,
    description: str,
    permission: str,
    apply: Apply,
    reason: bool = True,
) -> Callable[[Any, HttpRequest, QuerySet[Any]], HttpResponse | None]:
    """An admin action that calls ``apply(actor, obj, reason)`` (a service) for each selected
    object. With ``reason``, an intermediate page asks why first. Each object succeeds or fails
    on its own: a refused one is reported with the service's explanation and left unchanged."""

    def action(
        modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        count = queryset.count()
        if count > MAX_ACTION_OBJECTS:
            modeladmin.message_user(
                request,
                f"Select at most {MAX_ACTION_OBJECTS} items for one action ({count} selected).",
                messages.ERROR,
            )
            return None
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if reason and not ("confirm" in request.POST and form.is_valid()):
            context = {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "opts": modeladmin.model._meta,
                "objects": list(queryset),
                "form": form,
                "action_name": name,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            }
            return TemplateResponse(request, "admin/accounts/action_reason.html", context)
        text = form.cleaned_data["reason"] if reason else ""
        _apply_each(modeladmin, request, queryset, apply, text, description)
        return None

    action.__name__ = name
    action.short_description = description  # type: ignore[attr-defined]
    action.allowed_permissions = (permission,)  # type: ignore[attr-defined]
    return action


def _apply_each(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    apply: Apply,
    reason: str,
    description: str,
) -> None:
    actor = request.user
    assert isinstance(actor, User)
    done = 0
    for obj in queryset:
        try:
            apply(actor, obj, reason)
        except ServiceError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            done += 1
    if done:
        noun = "item" if done == 1 else "items"
        modeladmin.message_user(
            request, f"{description}: done for {done} {noun}.", messages.SUCCESS
        )
