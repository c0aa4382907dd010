"""Live delivery of a new notification to the person's open pages (the bell), over the
per-user WebSocket (/ws/notifications/, ``consumers.NotificationConsumer``).

``services.notify`` calls ``publish`` after the notification is committed, so a client that
hears about it can always load it; a failure here never undoes or blocks the notification.
"""

from __future__ import annotations

from peerlearn.common.realtime import send_to_group, user_group

from .events import NotificationEvent, NotificationPushMessage
from .models import Notification
from .selectors import unread_count


def publish(notification: Notification) -> None:
    event: NotificationEvent = {
        "type": "notification",
        "unread_count": unread_count(notification.user),
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "url": notification.url,
    }
    message: NotificationPushMessage = {"type": "notification.push", "event": event}
    send_to_group(user_group(notification.user_id), message)
