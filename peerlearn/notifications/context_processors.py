"""Template context for every page: the unread count shown on the bell, and the newest unread
notifications for the bell's dropdown (a lazy queryset: queried only if the page shows it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import notification_list, unread_count

BELL_ITEMS = 6


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notification_count": 0, "recent_notifications": ()}
    return {
        "unread_notification_count": unread_count(user),
        "recent_notifications": notification_list(user, unread_only=True)[:BELL_ITEMS],
    }
