"""/ws/notifications/: the live bell of one user (``live.publish`` pushes to the user's group)."""

from __future__ import annotations

from typing import Any

from peerlearn.common.realtime import CLOSE_FORBIDDEN, AuthenticatedSocket, EventMessage

from .events import NotificationPushMessage


class NotificationConsumer(AuthenticatedSocket):
    async def connect(self) -> None:
        if not self.scope["user"].is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.join_user_groups()
        await self.accept()

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if content["type"] == "ping":
            await self.pong()

    async def notification_push(self, message: NotificationPushMessage) -> None:  # type: ignore[override]
        await self.send_json(message["event"])

    async def realtime_event(self, message: EventMessage) -> None:
        """Other apps' events to the user's group; the bell ignores them."""
