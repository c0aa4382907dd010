"""WebSocket consumers. Thin: every message is size- and rate-checked, authorized against the
room (re-checked periodically, so access that ends closes the socket), then handed to a service.
"""

from __future__ import annotations

import json
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from peerlearn.common.errors import ServiceError

from . import events, selectors, services

MAX_FRAME_BYTES = 64 * 1024
RECHECK_SECONDS = 30
CLOSE_FORBIDDEN = 4403
CLOSE_LOGGED_OUT = 4401


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class AuthenticatedSocket(AsyncJsonWebsocketConsumer):
    """Common parts: the user's groups, forced disconnects, and frame limits."""

    groups_joined: list[str]

    async def join_user_groups(self) -> None:
        user = self.scope["user"]
        self.groups_joined = [events.user_group(user.pk)]
        session = self.scope.get("session")
        if session is not None and session.session_key:
            self.groups_joined.append(events.session_group(session.session_key))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def force_disconnect(self, message: dict[str, Any]) -> None:
        await self.send_json(
            {"type": "error", "code": "disconnected", "message": message.get("reason", "")}
        )
        await self.close(code=CLOSE_LOGGED_OUT)

    async def send_error(self, code: str, message: str) -> None:
        event: events.ErrorEvent = {"type": "error", "code": code, "message": message}
        await self.send_json(event)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.send_error("too_large", "Messages are at most 64 KB of text.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("invalid", "Messages are JSON objects.")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("invalid", "Messages are JSON objects with a type.")
            return
        await self.receive_json(content)


class ListeningSocket(AuthenticatedSocket):
    """A socket that only listens (the page writes over HTTP): answers pings, forwards the
    events broadcast to its groups (``live.services.broadcast``), ignores bell pushes."""

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if content["type"] == "ping":
            await self.send_json({"type": "pong"})

    async def room_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def notification_push(self, message: dict[str, Any]) -> None:
        """The bell has its own socket."""


class NotificationConsumer(AuthenticatedSocket):
    """/ws/notifications/: the live bell of one user."""

    async def connect(self) -> None:
        if not self.scope["user"].is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.join_user_groups()
        await self.accept()

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if content["type"] == "ping":
            await self.send_json({"type": "pong"})

    async def notification_push(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def room_event(self, message: dict[str, Any]) -> None:
        """Room events also reach user groups' members; the bell ignores them."""


class RoomConsumer(AuthenticatedSocket):
    """/ws/rooms/<room_id>/?last_id=N: presence, chat, typing, signaling, screen share,
    whiteboard and notes for the participants of one room."""

    async def connect(self) -> None:
        user = self.scope["user"]
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        try:
            self.room = await database_sync_to_async(selectors.access_room)(
                user=user, room_id=self.room_id, live=True
            )
        except ServiceError:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.checked_at = time.monotonic()
        self.peers: dict[str, int] = {}
        self.messages_bucket = TokenBucket(rate=20, burst=60)
        self.chat_bucket = TokenBucket(rate=1, burst=5)
        self.group = events.room_group(self.room_id)
        await self.join_user_groups()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_initial_state()
        await self.channel_layer.group_send(
            self.group,
            {"type": "peer.joined", "channel": self.channel_name, "user": services.person(user)},
        )

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_send(
                self.group, {"type": "peer.left", "channel": self.channel_name}
            )
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await super().disconnect(code)

    @database_sync_to_async
    def initial_state(self, last_id: int) -> dict[str, Any]:
        notes = selectors.notes(room=self.room)
        return {
            "type": "state",
            "me": services.person(self.scope["user"]),
            "peer_id": self.channel_name,
            "chat": [
                services.chat_event(m)
                for m in selectors.chat_history(room=self.room, after_id=last_id)
            ],
            "strokes": [
                {"id": s.pk, "author": s.author_id, "data": s.data}
                for s in selectors.strokes(room=self.room)
            ],
            "notes": {"version": notes.version, "text": notes.text},
        }

    async def send_initial_state(self) -> None:
        query = dict(
            part.split("=", 1)
            for part in self.scope.get("query_string", b"").decode().split("&")
            if "=" in part
        )
        try:
            last_id = max(0, int(query.get("last_id", "0")))
        except ValueError:
            last_id = 0
        await self.send_json(await self.initial_state(last_id))

    async def still_allowed(self) -> bool:
        if time.monotonic() - self.checked_at < RECHECK_SECONDS:
            return True
        self.checked_at = time.monotonic()
        user = self.scope["user"]
        session = self.scope.get("session")
        signed_in = await database_sync_to_async(selectors.session_is_current)(
            session_key=session.session_key if session is not None else None, user_id=user.pk
        )
        if not signed_in:
            await self.send_error("disconnected", "Your session has ended. Sign in again.")
            await self.close(code=CLOSE_LOGGED_OUT)
            return False
        try:
            await database_sync_to_async(selectors.access_room)(
                user=user, room_id=self.room_id, live=True
            )
        except ServiceError:
            await self.send_error("access_ended", "Your access to this room has ended.")
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        return True

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if not self.messages_bucket.take():
            await self.send_error("rate_limited", "Too many messages: slow down.")
            return
        if not await self.still_allowed():
            return
        kind = content["type"]
        user = self.scope["user"]
        try:
            if kind == "chat":
                if not self.chat_bucket.take():
                    await self.send_error("rate_limited", "You are sending chat messages too fast.")
                    return
                await database_sync_to_async(services.chat_post)(
                    actor=user, room=self.room, body=str(content.get("body", ""))
                )
            elif kind == "typing":
                await self.group_event(
                    {"type": "typing", "user": services.person(user)}, exclude_self=True
                )
            elif kind == "signal":
                await self.relay_signal(content)
            elif kind == "screen":
                await self.group_event(
                    {
                        "type": "screen",
                        "user": services.person(user),
                        "sharing": bool(content.get("sharing")),
                    }
                )
            elif kind == "wb.stroke":
                await database_sync_to_async(services.stroke_add)(
                    actor=user, room=self.room, data=content.get("data")
                )
            elif kind == "wb.clear":
                await database_sync_to_async(services.whiteboard_clear)(actor=user, room=self.room)
            elif kind == "notes":
                result = await database_sync_to_async(services.notes_update)(
                    actor=user,
                    room=self.room,
                    base_version=int(content.get("base_version", -1)),
                    text=str(content.get("text", "")),
                )
                if result["type"] == "notes.conflict":
                    await self.send_json(result)
            elif kind == "ping":
                await self.send_json({"type": "pong"})
            else:
                await self.send_error("unknown_type", f"Unknown message type {kind!r}.")
        except ServiceError as exc:
            await self.send_error(exc.code, exc.message)
        except (TypeError, ValueError):
            await self.send_error("invalid", "That message is malformed.")

    async def relay_signal(self, content: dict[str, Any]) -> None:
        """Offer / answer / ICE go only to a peer of this room; nothing is stored."""
        target = content.get("to")
        data = content.get("data")
        if not isinstance(target, str) or target not in self.peers or not isinstance(data, dict):
            await self.send_error("unknown_peer", "That participant is not in this room.")
            return
        await self.channel_layer.send(
            target,
            {
                "type": "signal.relay",
                "room": self.room_id,
                "from_channel": self.channel_name,
                "from_user": self.scope["user"].pk,
                "data": data,
            },
        )

    async def group_event(self, event: dict[str, Any], *, exclude_self: bool = False) -> None:
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "room.event",
                "event": event,
                "exclude": self.channel_name if exclude_self else None,
            },
        )

    # --- handlers for channel-layer messages -------------------------------------------------

    async def room_event(self, message: dict[str, Any]) -> None:
        if message.get("exclude") == self.channel_name:
            return
        await self.send_json(message["event"])

    async def peer_joined(self, message: dict[str, Any]) -> None:
        if message["channel"] == self.channel_name:
            return
        self.peers[message["channel"]] = message["user"]["id"]
        await self.send_json(
            {"type": "peer.joined", "peer": message["channel"], "user": message["user"]}
        )
        # Introduce ourselves to the newcomer, directly.
        await self.channel_layer.send(
            message["channel"],
            {
                "type": "peer.present",
                "room": self.room_id,
                "channel": self.channel_name,
                "user": services.person(self.scope["user"]),
            },
        )

    async def peer_present(self, message: dict[str, Any]) -> None:
        if message.get("room") != self.room_id:
            return
        self.peers[message["channel"]] = message["user"]["id"]
        await self.send_json(
            {
                "type": "peer.joined",
                "peer": message["channel"],
                "user": message["user"],
                "existing": True,
            }
        )

    async def peer_left(self, message: dict[str, Any]) -> None:
        if self.peers.pop(message["channel"], None) is not None:
            await self.send_json({"type": "peer.left", "peer": message["channel"]})

    async def signal_relay(self, message: dict[str, Any]) -> None:
        if message.get("room") != self.room_id or message["from_channel"] not in self.peers:
            return
        await self.send_json(
            {
                "type": "signal",
                "from": message["from_channel"],
                "from_user": message["from_user"],
                "data": message["data"],
            }
        )

    async def notification_push(self, message: dict[str, Any]) -> None:
        """The bell has its own socket; rooms ignore notification pushes."""
