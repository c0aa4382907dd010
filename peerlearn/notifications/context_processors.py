"""Template context for every page: the unread count shown on the bell."""

from __future__ import annotations

from django.http import HttpRequest

from .selectors import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, int]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notification_count": 0}
    return {"unread_notification_count": unread_count(user)}  # type: ignore[arg-type]
