"""JSON API for notifications: the caller's list, marking read, and their delivery settings.

Every operation acts on the caller only; another person's notification is a 404.
"""

# No ``from __future__ import annotations`` here: ninja reads the parameter annotations of an
# operation at import time, and for @paginate-wrapped operations it resolves string annotations
# in ninja's own module (see peerlearn/api/accounts.py).
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router

from peerlearn.api.auth import request_user
from peerlearn.api.errors import ERROR_RESPONSES
from peerlearn.api.pages import fast_page, json_time

from . import selectors, services
from .models import (
    KIND_GROUPS,
    SMS,
    Notification,
    NotificationSettings,
    absolute_url,
    channels_for,
)
from .schemas import (
    MarkedReadOut,
    NotificationOut,
    NotificationPreferencesIn,
    NotificationPreferencesOut,
    NotificationSettingsIn,
    NotificationSettingsOut,
    UnreadCountOut,
)

router = Router(tags=["notifications"])


def ok(schema: Any) -> dict[Any, Any]:
    return {200: schema, **ERROR_RESPONSES}


LIST_FIELDS = ("id", "kind", "title", "body", "url", "created_at", "read_at")


def notification_item(row: dict[str, Any]) -> dict[str, Any]:
    """One ``NotificationOut``, from a row of ``LIST_FIELDS``."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "title": row["title"],
        "body": row["body"],
        "url": row["url"],
        "absolute_url": absolute_url(row["url"]),
        "created_at": json_time(row["created_at"]),
        "read_at": json_time(row["read_at"]),
        "is_read": row["read_at"] is not None,
    }


@router.get(
    "/notifications", response=ok(list[NotificationOut]), summary="Your notifications, newest first"
)
@fast_page(notification_item)
def notifications_list(request: HttpRequest, unread: bool = False) -> QuerySet[Notification]:
    """With ``?unread=true`` only the unread ones."""
    user = request_user(request)
    return selectors.notification_list(user, unread_only=unread).values(*LIST_FIELDS)


@router.get("/notifications/unread-count", response=ok(UnreadCountOut), summary="The bell's number")
def notifications_unread_count(request: HttpRequest) -> dict[str, int]:
    return {"unread": selectors.unread_count(request_user(request))}


@router.post("/notifications/read-all", response=ok(MarkedReadOut), summary="Mark all read")
def notifications_read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.notifications_mark_all_read(actor=request_user(request))}


@router.post(
    "/notifications/{notification_id}/read", response=ok(NotificationOut), summary="Mark one read"
)
def notification_read(request: HttpRequest, notification_id: int) -> Notification:
    return services.notification_mark_read(
        actor=request_user(request), notification_id=notification_id
    )


@router.get(
    "/me/notification-settings",
    response=ok(NotificationSettingsOut),
    summary="How you are notified (defaults until you change them)",
)
def notification_settings_get(request: HttpRequest) -> NotificationSettings:
    return selectors.delivery_settings(request_user(request))


@router.put(
    "/me/notification-settings",
    response=ok(NotificationSettingsOut),
    summary="Replace how you are notified",
)
def notification_settings_put(
    request: HttpRequest, payload: NotificationSettingsIn
) -> NotificationSettings:
    return services.notification_settings_update(
        actor=request_user(request),
        phone_number=payload.phone_number,
        sms_opt_in=payload.sms_opt_in,
        reminder_offsets_minutes=payload.reminder_offsets_minutes,
        email_enabled=payload.email_enabled,
    )


def _preferences_out(prefs: NotificationSettings) -> dict[str, Any]:
    return {
        "email_enabled": prefs.email_enabled,
        "digest_enabled": prefs.digest_enabled,
        "kinds": [
            {
                "kind": kind,
                "label": Notification.Kind(kind).label,
                "group": group,
                "in_app": prefs.wants(kind, "in_app"),
                "email": prefs.wants(kind, "email"),
                "sms": prefs.wants(kind, SMS) if SMS in channels_for(kind) else None,
            }
            for group, kinds in KIND_GROUPS
            for kind in kinds
        ],
    }


@router.get(
    "/me/notification-preferences",
    response=ok(NotificationPreferencesOut),
    summary="Your switches per kind × channel, and the daily digest",
)
def notification_preferences_get(request: HttpRequest) -> dict[str, Any]:
    return _preferences_out(selectors.delivery_settings(request_user(request)))


@router.put(
    "/me/notification-preferences",
    response=ok(NotificationPreferencesOut),
    summary="Replace your switches per kind × channel",
)
def notification_preferences_put(
    request: HttpRequest, payload: NotificationPreferencesIn
) -> dict[str, Any]:
    prefs = services.notification_preferences_update(
        actor=request_user(request),
        digest_enabled=payload.digest_enabled,
        preferences={
            kind: switches.model_dump(exclude_none=True)
            for kind, switches in payload.preferences.items()
        },
    )
    return _preferences_out(prefs)
