"""Reads for notifications. ``access_notification`` fetches with the ownership check."""

from __future__ import annotations

from django.db.models import QuerySet

from peerlearn.accounts.models import User
from peerlearn.common.errors import NotFound

from .models import EMAIL, SMS, Notification, NotificationSettings


def notification_list(user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    items = Notification.objects.filter(user=user)
    if unread_only:
        items = items.filter(read_at__isnull=True)
    return items.order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def access_notification(*, user: User, notification_id: int) -> Notification:
    """The user's own notification; someone else's looks exactly like a missing one."""
    try:
        return Notification.objects.get(pk=notification_id, user=user)
    except Notification.DoesNotExist as exc:
        raise NotFound("No such notification.") from exc


def delivery_settings(user: User) -> NotificationSettings:
    """The user's saved settings, or the defaults (unsaved) when they never changed them."""
    saved = NotificationSettings.objects.filter(user=user).first()
    return saved if saved is not None else NotificationSettings(user=user)


def channel_allowed(user: User, prefs: NotificationSettings, kind: str, channel: str) -> bool:
    """May a notification of ``kind`` go to ``user`` by email or SMS right now? The master
    switch, the kind's switch and whether the person can be reached at all."""
    if not user.is_active or not prefs.wants(kind, channel):
        return False
    if channel == EMAIL:
        return prefs.email_enabled and bool(user.email)
    if channel == SMS:
        return prefs.can_text
    return True
