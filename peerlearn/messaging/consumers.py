"""/ws/messages/: a user's conversations live.

The socket joins the user's messaging group, so it hears ``msg.new`` / ``msg.read`` /
``msg.unread`` of the user's own conversations only (services publish to members' groups).
Client frames, each authorized against the conversation they name:

- ``{"type": "viewing", "conversation": <id> | null}``: the conversation open in a visible tab
  (no notification for what one is watching); refreshed by the heartbeat;
- ``{"type": "read", "conversation": <id>, "last_id": <id>}``: move the read marker;
- ``{"type": "ping"}``.
"""

from __future__ import annotations

from typing import Any

from peerlearn.common.errors import ServiceError
from peerlearn.common.realtime import (
    CLOSE_FORBIDDEN,
    AuthenticatedSocket,
    EventMessage,
    TokenBucket,
    database_sync_to_async,
)

from . import events, services


class MessagingConsumer(AuthenticatedSocket):
    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.viewing: int | None = None
        self.bucket = TokenBucket(rate=5, burst=20)
        await self.join_user_groups()
        await self.join_group(events.user_group(user.pk))
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "viewing", None) is not None:
            await database_sync_to_async(services.viewing_set)(
                actor=self.scope["user"], conversation_id=None, previous=self.viewing
            )
        await super().disconnect(code)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if not self.bucket.take():
            await self.send_error("rate_limited", "Too many messages: slow down.")
            return
        kind = content["type"]
        user = self.scope["user"]
        try:
            if kind == "ping":
                if self.viewing is not None:  # the heartbeat keeps "viewing" fresh
                    await self.set_viewing(self.viewing)
                await self.pong()
            elif kind == "viewing":
                raw = content.get("conversation")
                await self.set_viewing(None if raw is None else int(raw))
            elif kind == "read":
                await database_sync_to_async(services.conversation_mark_read)(
                    actor=user,
                    conversation_id=int(content.get("conversation", 0)),
                    last_id=int(content.get("last_id", 0)),
                )
            else:
                await self.send_error("unknown_type", f"Unknown message type {kind!r}.")
        except ServiceError as exc:
            await self.send_error(exc.code, exc.message)
        except (TypeError, ValueError):
            await self.send_error("invalid", "That message is malformed.")

    async def set_viewing(self, conversation_id: int | None) -> None:
        previous = self.viewing
        self.viewing = None  # until the access check passes
        await database_sync_to_async(services.viewing_set)(
            actor=self.scope["user"], conversation_id=conversation_id, previous=previous
        )
        self.viewing = conversation_id

    async def realtime_event(self, message: EventMessage) -> None:
        """Only messaging events: other apps' events to the user's groups are not ours."""
        event = message.get("event")
        if isinstance(event, dict) and str(event.get("type", "")).startswith("msg."):
            await self.send_json(event)
