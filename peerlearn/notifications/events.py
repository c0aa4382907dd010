"""What the bell's socket (/ws/notifications/) receives."""

from __future__ import annotations

from typing import Literal, TypedDict


class NotificationEvent(TypedDict):
    type: Literal["notification"]
    unread_count: int
    id: int
    kind: str
    title: str
    url: str


class NotificationPushMessage(TypedDict):
    """The channel-layer message to a user's group; only the bell's socket handles it."""

    type: Literal["notification.push"]
    event: NotificationEvent
