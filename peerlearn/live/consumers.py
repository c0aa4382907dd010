"""/ws/rooms/<room_id>/: presence, chat, typing, signaling, screen share, whiteboard and notes for
the participants of one room. Thin: every frame is size- and rate-checked and authorized
against the room (re-checked periodically, so access that ends closes the socket), then handed
to a service. The join order and the delivery guarantees are in docs/architecture.md.

Query parameters (all optional): ``last_id`` (the end of the client's unbroken chat chain),
``strokes_after`` (the last stroke it holds), ``notes_version`` (the notes version it holds).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from peerlearn.accounts.models import User
from peerlearn.common.errors import ServiceError
from peerlearn.common.realtime import (
    CLOSE_FORBIDDEN,
    CLOSE_LOGGED_OUT,
    RECHECK_SECONDS,
    AuthenticatedSocket,
    EventMessage,
    Person,
    TokenBucket,
    database_sync_to_async,
    safe_group_send,
    safe_send,
)

from . import events, selectors, services
from .models import Room

PRESENCE_REFRESH_SECONDS = 30  # below selectors.PRESENCE_TTL


def _int_param(query: dict[str, list[str]], name: str) -> int:
    try:
        return max(0, int((query.get(name) or ["0"])[0]))
    except ValueError:
        return 0


class RoomConsumer(AuthenticatedSocket):
    async def connect(self) -> None:
        user = self.scope["user"]
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        try:
            self.room, self.me = await self.open_room(user)
        except ServiceError:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.checked_at = self.presence_at = time.monotonic()
        self.peers: dict[str, int] = {}
        self.messages_bucket = TokenBucket(rate=20, burst=60)
        self.chat_bucket = TokenBucket(rate=1, burst=5)
        self.group = events.room_group(self.room_id)
        # Subscribe first, then read: whatever is broadcast after the read arrives live, and
        # what arrives both ways the client de-duplicates by id.
        await self.join_user_groups()
        await self.join_group(self.group)
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode())
        await self.send_state(
            last_id=_int_param(query, "last_id"),
            strokes_after=_int_param(query, "strokes_after"),
            notes_version=int(query["notes_version"][0])
            if query.get("notes_version", [""])[0].isdigit()
            else None,
            resync=False,
        )
        joined: events.PeerJoinedEvent = {
            "type": "peer.joined",
            "peer": self.channel_name,
            "user": self.me,
        }
        await self.group_event(joined, exclude_self=True)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            left: events.PeerLeftEvent = {"type": "peer.left", "peer": self.channel_name}
            await self.group_event(left, exclude_self=True)
            await database_sync_to_async(services.presence_leave)(channel=self.channel_name)
        await super().disconnect(code)

    # --- the join and resync -----------------------------------------------------------------

    @database_sync_to_async
    def open_room(self, user: User) -> tuple[Room, Person]:
        """The access check and who the user is, in one trip to a database thread (the user's
        profile stays loaded for the socket's life: its chat events name the author)."""
        room = selectors.access_room(user=user, room_id=self.room_id, live=True)
        return room, services.person(user)

    @database_sync_to_async
    def read_state(
        self, last_id: int, strokes_after: int, notes_version: int | None, resync: bool
    ) -> events.StateEvent:
        if not resync:
            services.presence_enter(
                room=self.room, channel=self.channel_name, user=self.scope["user"]
            )
        page = selectors.chat_history(room=self.room, after_id=last_id, limit=selectors.CHAT_PAGE)
        strokes, full = selectors.strokes_since(room=self.room, after_id=strokes_after)
        notes = selectors.notes(room=self.room)
        peers: list[events.PeerOut] = [
            {"peer": channel, "user": services.person(user)}
            for channel, user in selectors.present_peers(room_id=self.room_id)
            if channel != self.channel_name
        ]
        return {
            "type": "state",
            "me": self.me,
            "peer_id": self.channel_name,
            "chat": services.chat_events(page, after=0 if last_id == 0 else None),
            "chat_more": len(page) == selectors.CHAT_PAGE,
            "strokes": [{"id": s.pk, "author": s.author_id, "data": s.data} for s in strokes],
            "strokes_full": full,
            "notes": None
            if notes_version == notes.version
            else {"version": notes.version, "text": notes.text},
            "peers": peers,
            "resync": resync,
        }

    async def send_state(
        self, *, last_id: int, strokes_after: int, notes_version: int | None, resync: bool
    ) -> None:
        state = await self.read_state(last_id, strokes_after, notes_version, resync)
        self.peers.update({p["peer"]: p["user"]["id"] for p in state["peers"]})
        await self.send_json(state)
        if state["chat_more"]:
            await self.send_chat_pages(after_id=state["chat"][-1]["id"])

    async def send_chat_pages(self, *, after_id: int) -> None:
        """Everything stored after ``after_id``, page after page, oldest first."""
        while True:
            page = await database_sync_to_async(self.read_chat_page)(after_id)
            await self.send_json(page)
            if not page["more"]:
                return
            after_id = page["chat"][-1]["id"]

    def read_chat_page(self, after_id: int) -> events.ChatPageEvent:
        page = selectors.chat_history(room=self.room, after_id=after_id, limit=selectors.CHAT_PAGE)
        return {
            "type": "chat.page",
            "chat": services.chat_events(page, after=after_id),  # the previous page's last
            "more": len(page) == selectors.CHAT_PAGE,
        }

    # --- frames from the client ---------------------------------------------------------------

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
                await self.chat(content)
            elif kind == "typing":
                typing: events.TypingEvent = {"type": "typing", "user": self.me}
                await self.group_event(typing, exclude_self=True)
            elif kind == "signal":
                await self.relay_signal(content)
            elif kind == "screen":
                screen: events.ScreenEvent = {
                    "type": "screen",
                    "user": self.me,
                    "sharing": bool(content.get("sharing")),
                }
                await self.group_event(screen)
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
            elif kind == "resync":
                await self.send_state(
                    last_id=max(0, int(content.get("last_id", 0))),
                    strokes_after=max(0, int(content.get("strokes_after", 0))),
                    notes_version=None,
                    resync=True,
                )
            elif kind == "ping":
                await self.heartbeat()
            else:
                await self.send_error("unknown_type", f"Unknown message type {kind!r}.")
        except ServiceError as exc:
            await self.send_error(exc.code, exc.message, client_id=self.client_id(content))
        except (TypeError, ValueError):
            await self.send_error("invalid", "That message is malformed.")

    @staticmethod
    def client_id(content: dict[str, Any]) -> str | None:
        value = content.get("client_id") if content.get("type") == "chat" else None
        return value if isinstance(value, str) else None

    async def chat(self, content: dict[str, Any]) -> None:
        """Store (idempotently by ``client_id``) and acknowledge to the sender with the id."""
        client_id = self.client_id(content) or ""
        if not self.chat_bucket.take():
            await self.send_error(
                "rate_limited", "You are sending chat messages too fast.", client_id=client_id
            )
            return
        message = await database_sync_to_async(services.chat_post)(
            actor=self.scope["user"],
            room=self.room,
            body=str(content.get("body", "")),
            client_id=client_id,
        )
        if client_id:
            ack: events.AckEvent = {"type": "ack", "client_id": client_id, "id": message.pk}
            await self.send_json(ack)

    async def heartbeat(self) -> None:
        if time.monotonic() - self.presence_at >= PRESENCE_REFRESH_SECONDS:
            self.presence_at = time.monotonic()
            await database_sync_to_async(services.presence_refresh)(channel=self.channel_name)
        await self.pong()

    async def relay_signal(self, content: dict[str, Any]) -> None:
        """Offer / answer / ICE go only to a socket present in this room; nothing is stored."""
        target = content.get("to")
        data = content.get("data")
        if not isinstance(target, str) or not isinstance(data, dict) or target == self.channel_name:
            await self.send_error("unknown_peer", "That participant is not in this room.")
            return
        if target not in self.peers and not await database_sync_to_async(selectors.is_present)(
            room_id=self.room_id, channel=target
        ):
            await self.send_error("unknown_peer", "That participant is not in this room.")
            return
        relay: events.SignalRelayMessage = {
            "type": "signal.relay",
            "room": self.room_id,
            "from_channel": self.channel_name,
            "from_user": self.scope["user"].pk,
            "data": data,
        }
        await safe_send(self.channel_layer, target, relay)

    async def group_event(self, event: events.RoomEvent, *, exclude_self: bool = False) -> None:
        message: EventMessage = {
            "type": "realtime.event",
            "event": event,
            "exclude": self.channel_name if exclude_self else None,
        }
        await safe_group_send(self.channel_layer, self.group, message)

    # --- handlers for channel-layer messages -------------------------------------------------

    async def realtime_event(self, message: EventMessage) -> None:
        if message.get("exclude") == self.channel_name:
            return
        event = message["event"]
        if event.get("type") == "peer.joined":
            user = event.get("user")
            if isinstance(user, dict):
                self.peers[str(event["peer"])] = int(user["id"])
        elif event.get("type") == "peer.left":
            self.peers.pop(str(event["peer"]), None)
        await self.send_json(event)

    async def signal_relay(self, message: events.SignalRelayMessage) -> None:
        if message.get("room") != self.room_id:
            return
        # The sender's socket checked that both are in this room; remember it as a peer even
        # if its peer.joined was lost on the way.
        self.peers.setdefault(message["from_channel"], message["from_user"])
        event: events.SignalEvent = {
            "type": "signal",
            "from": message["from_channel"],
            "from_user": message["from_user"],
            "data": message["data"],
        }
        await self.send_json(event)
