"""Live delivery of a new notification to the person's open pages (the bell), over the
per-user WebSocket (/ws/notifications/, ``peerlearn.live.consumers.NotificationConsumer``).

``services.notify`` calls ``publish`` after the notification is committed, so a client that
hears about it can always load it; a failure here never undoes or blocks the notification.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from peerlearn.live.events import NotificationEvent, user_group

from .models import Notification
from .selectors import unread_count

logger = logging.getLogger(__name__)


def publish(notification: Notification) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    event: NotificationEvent = {
        "type": "notification",
        "unread_count": unread_count(notification.user),
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "url": notification.url,
    }
    try:
        async_to_sync(layer.group_send)(
            user_group(notification.user_id), {"type": "notification.push", "event": event}
        )
    except Exception:  # the stored notification is what counts; live delivery is best effort
        logger.exception("live delivery of notification %s failed", notification.pk)
