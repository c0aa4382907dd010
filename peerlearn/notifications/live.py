"""Live delivery of a new notification to the person's open pages (the bell).

The live-rooms issue sends this over the per-user WebSocket (group name from
``peerlearn.live``'s helper, payload typed in ``live/events.py``). Until then it only logs.
``services.notify`` calls ``publish`` after the notification is committed, so a client that
hears about it can always load it; a failure here never undoes or blocks the notification.
"""

from __future__ import annotations

import logging

from .models import Notification

logger = logging.getLogger(__name__)


def publish(notification: Notification) -> None:
    logger.debug(
        "Notification %s (%s) for user %s is ready for live delivery",
        notification.pk,
        notification.kind,
        notification.user_id,
    )
