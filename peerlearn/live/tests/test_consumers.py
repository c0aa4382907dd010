"""The room and notification sockets through the whole ASGI stack (origin check → session auth →
router → consumer), with ``WebsocketCommunicator`` and a real database."""

from __future__ import annotations

import asyncio
import json
import os
import socket as socket_module
import sys
import types
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from importlib import import_module
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.asgi import application
from conftest import require
from peerlearn.accounts.models import User
from peerlearn.common import realtime
from peerlearn.common.testing import make_booking, make_tutor, make_user
from peerlearn.live import consumers, selectors, services
from peerlearn.live.models import ChatMessage, NotesRevision, Room, SharedNotes, WhiteboardStroke
from peerlearn.notifications.services import notify
from peerlearn.scheduling.models import Booking, TimeClaim


def _websocket_communicator() -> Any:
    """``channels.testing`` imports daphne at package import, for its live-server test case only;
    daphne is not a dependency of this project. A stand-in module satisfies that one import and
    is removed again, so nothing else can mistake it for the real server."""
    try:
        from channels.testing import WebsocketCommunicator

        return WebsocketCommunicator
    except ModuleNotFoundError as exc:
        if exc.name not in {"daphne", "daphne.testing"}:
            raise
    stand_in = types.ModuleType("daphne.testing")
    stand_in.DaphneProcess = object  # type: ignore[attr-defined]
    sys.modules.update({"daphne": types.ModuleType("daphne"), "daphne.testing": stand_in})
    try:
        from channels.testing import WebsocketCommunicator

        return WebsocketCommunicator
    finally:
        sys.modules.pop("daphne.testing", None)
        sys.modules.pop("daphne", None)


WebsocketCommunicator = _websocket_communicator()

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://localhost"
WAIT = 5.0  # seconds: the bound on every wait for an event that must come
SETTLE = 0.3  # seconds: how long to listen when checking that nothing (more) arrives


# --- set-up ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    """Each test gets a new in-memory layer (its queues belong to the test's event loop)."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def session_key(user: User) -> str:
    """The ``sessionid`` cookie of a fresh browser session of ``user``."""
    return str(logged_in(user).cookies[settings.SESSION_COOKIE_NAME].value)


class Party:
    def __init__(self) -> None:
        self.tutor = make_tutor(display_name="Tara")
        self.learner = make_user(display_name="Lee")
        self.outsider = make_user(display_name="Otto")
        self.booking = make_booking(self.tutor, [self.learner])
        self.room = selectors.room_for_booking(booking=self.booking)
        self.tutor_key = session_key(self.tutor)
        self.learner_key = session_key(self.learner)
        self.outsider_key = session_key(self.outsider)


@pytest.fixture
def party() -> Party:
    return Party()


# --- a socket under test -----------------------------------------------------------------------


class Socket:
    """A client socket: connect, send JSON, wait for an event of a type (bounded), or collect
    everything that arrives within a short settle time."""

    def __init__(self, path: str, key: str | None, origin: str | None) -> None:
        headers: list[tuple[bytes, bytes]] = []
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        if key is not None:
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()))
        self.comm = WebsocketCommunicator(application, path, headers=headers)
        self.seen: list[dict[str, Any]] = []
        self.close_code: int | None = None

    async def connect(self) -> tuple[bool, int | None]:
        connected, code = await self.comm.connect(timeout=WAIT)
        if not connected:
            self.close_code = code
        return bool(connected), code

    async def send(self, content: dict[str, Any]) -> None:
        await self.comm.send_json_to(content)

    async def next_frame(self) -> dict[str, Any]:
        message = await self.comm.receive_output(timeout=WAIT)
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            return {"type": "<closed>", "code": self.close_code}
        event: dict[str, Any] = json.loads(message["text"])
        self.seen.append(event)
        return event

    async def wait_for(self, kind: str, **match: Any) -> dict[str, Any]:
        """The next event of type ``kind`` (with the given fields), skipping others."""
        while True:
            event = await self.next_frame()
            if event["type"] == kind and all(event.get(k) == v for k, v in match.items()):
                return event
            if event["type"] == "<closed>":
                raise AssertionError(f"closed ({self.close_code}) before a {kind!r} event")

    async def wait_closed(self) -> int | None:
        while self.close_code is None:
            await self.next_frame()
        return self.close_code

    async def settle(self) -> list[dict[str, Any]]:
        """Everything that arrives within SETTLE seconds (without ending the connection, which
        a timed-out ``receive_output`` would do)."""
        await asyncio.sleep(SETTLE)
        events = []
        while not self.comm.output_queue.empty():
            message = self.comm.output_queue.get_nowait()
            if message["type"] == "websocket.close":
                self.close_code = message.get("code", 1000)
                continue
            event = json.loads(message["text"])
            self.seen.append(event)
            events.append(event)
        return events

    async def close(self) -> None:
        """The client goes away (a consumer that closed the socket still waits for this)."""
        await self.comm.disconnect(timeout=WAIT)


def end_session(session_key: str) -> None:
    """End a session as the sessions page does: through the configured session store (with Redis
    the session is cached as well as stored)."""
    import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).delete()


class Sockets:
    """Opens sockets for a test and closes them all at its end."""

    def __init__(self) -> None:
        self.opened: list[Socket] = []

    def make(self, path: str, key: str | None, origin: str | None = ORIGIN) -> Socket:
        socket = Socket(path, key, origin)
        self.opened.append(socket)
        return socket

    async def room(self, room: Room, key: str | None, *, query: str = "") -> Socket:
        """A room socket that must be accepted; its "state" event is in ``socket.state``."""
        socket = self.make(f"/ws/rooms/{room.pk}/{query}", key)
        connected, code = await socket.connect()
        assert connected, f"refused with {code}"
        socket.state = await socket.wait_for("state")  # type: ignore[attr-defined]
        return socket

    async def refused(self, path: str, key: str | None, origin: str | None = ORIGIN) -> int | None:
        socket = self.make(path, key, origin)
        connected, code = await socket.connect()
        assert not connected
        return code


@pytest.fixture
async def sockets() -> AsyncIterator[Sockets]:
    opened = Sockets()
    yield opened
    for socket in opened.opened:
        await socket.close()


def room_path(room: Room) -> str:
    return f"/ws/rooms/{room.pk}/"


@sync_to_async
def chat_count(room: Room) -> int:
    return ChatMessage.objects.filter(room=room).count()


# --- who may connect ---------------------------------------------------------------------------


class TestConnect:
    async def test_a_participant_is_let_in_and_told_who_they_are(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        socket = await sockets.room(party.room, party.learner_key)
        state = socket.state  # type: ignore[attr-defined]
        assert state["me"] == {"id": party.learner.pk, "name": "Lee"}
        assert state["chat"] == [] and state["strokes"] == []
        assert state["notes"] == {"version": 0, "text": ""}
        assert state["peer_id"]

    async def test_it_refuses_a_non_participant(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        assert await sockets.refused(room_path(party.room), party.outsider_key) == 4403

    async def test_it_refuses_an_anonymous_user(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        assert await sockets.refused(room_path(party.room), None) == 4403

    async def test_it_refuses_a_room_that_does_not_exist(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        assert await sockets.refused("/ws/rooms/987654/", party.learner_key) == 4403

    @pytest.mark.parametrize(
        "origin", ["http://evil.example", "https://localhost.evil.example", None]
    )
    async def test_it_refuses_a_foreign_or_missing_origin(self, party, sockets, origin) -> None:  # type: ignore[no-untyped-def]
        await sockets.refused(room_path(party.room), party.learner_key, origin=origin)
        await sockets.refused("/ws/notifications/", party.learner_key, origin=origin)

    async def test_it_refuses_a_session_that_was_logged_out(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        await sync_to_async(end_session)(party.learner_key)
        assert await sockets.refused(room_path(party.room), party.learner_key) == 4403

    async def test_it_refuses_a_forged_session_cookie(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        assert await sockets.refused(room_path(party.room), "x" * 32) == 4403

    @pytest.mark.parametrize(
        ("starts_in", "minutes"),
        [
            (timedelta(minutes=11), 60),  # opens 10 minutes before the start
            (timedelta(minutes=-95), 60),  # closes 30 minutes after the end
            (timedelta(days=-2), 60),
        ],
    )
    async def test_it_refuses_a_booking_outside_its_join_window(  # type: ignore[no-untyped-def]
        self, party, sockets, starts_in, minutes
    ) -> None:
        starts = timezone.now() + starts_in
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(
            starts_at=starts, ends_at=starts + timedelta(minutes=minutes)
        )
        assert await sockets.refused(room_path(party.room), party.learner_key) == 4403

    async def test_the_window_opens_ten_minutes_before_the_start(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        starts = timezone.now() + timedelta(minutes=9)
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(
            starts_at=starts, ends_at=starts + timedelta(minutes=60)
        )
        await sockets.room(party.room, party.learner_key)

    @pytest.mark.parametrize(
        "status", [Booking.Status.CANCELLED, Booking.Status.REQUESTED, Booking.Status.DECLINED]
    )
    async def test_it_refuses_a_booking_that_is_not_confirmed(self, party, sockets, status) -> None:  # type: ignore[no-untyped-def]
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(status=status)
        assert await sockets.refused(room_path(party.room), party.tutor_key) == 4403

    async def test_a_learner_whose_claim_was_released_is_refused(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        await sync_to_async(
            TimeClaim.objects.filter(booking=party.booking, user=party.learner).update
        )(active=False)
        assert await sockets.refused(room_path(party.room), party.learner_key) == 4403


# --- losing access while connected -------------------------------------------------------------


class TestDisconnect:
    async def test_logging_out_closes_the_sockets_of_that_session(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        room = await sockets.room(party.room, party.learner_key)
        bell = sockets.make("/ws/notifications/", party.learner_key)
        assert (await bell.connect())[0]
        other_session = await sockets.room(
            party.room, await sync_to_async(session_key)(party.learner)
        )
        await sync_to_async(realtime.disconnect_session)(
            party.learner_key, reason="You logged out."
        )
        for socket in (room, bell):
            error = await socket.wait_for("error")
            assert error["code"] == "disconnected" and error["message"] == "You logged out."
            assert await socket.wait_closed() == consumers.CLOSE_LOGGED_OUT
        assert not [e for e in await other_session.settle() if e["type"] == "error"]
        assert other_session.close_code is None

    async def test_the_logout_view_closes_the_room_socket(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        """The real path: allauth's logout view → AccountAdapter.logout → disconnect_session."""
        client = await sync_to_async(logged_in)(party.learner)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        room = await sockets.room(party.room, key)
        response = await sync_to_async(client.post)(reverse("account_logout"))
        assert response.status_code == 302
        assert (await room.wait_for("error"))["code"] == "disconnected"
        assert await room.wait_closed() == consumers.CLOSE_LOGGED_OUT
        assert await sockets.refused(room_path(party.room), key) == 4403

    async def test_access_is_rechecked_and_a_finished_window_closes_the_socket(  # type: ignore[no-untyped-def]
        self, party, sockets, monkeypatch
    ) -> None:
        monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0)
        room = await sockets.room(party.room, party.learner_key)
        await room.send({"type": "ping"})
        await room.wait_for("pong")
        long_ago = timezone.now() - timedelta(hours=3)
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(
            starts_at=long_ago, ends_at=long_ago + timedelta(hours=1)
        )
        await room.send({"type": "chat", "body": "still there?"})
        assert (await room.wait_for("error"))["code"] == "access_ended"
        assert await room.wait_closed() == consumers.CLOSE_FORBIDDEN
        assert await chat_count(party.room) == 0

    async def test_a_session_ended_elsewhere_closes_the_socket_at_the_next_check(  # type: ignore[no-untyped-def]
        self, party, sockets, monkeypatch
    ) -> None:
        """Ended from the sessions page or by a password change: no logout call reaches us."""
        monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0)
        room = await sockets.room(party.room, party.learner_key)
        await sync_to_async(end_session)(party.learner_key)
        await room.send({"type": "chat", "body": "anyone?"})
        assert (await room.wait_for("error"))["code"] == "disconnected"
        assert await room.wait_closed() == consumers.CLOSE_LOGGED_OUT
        assert await chat_count(party.room) == 0

    async def test_a_cancelled_booking_closes_the_socket_at_the_next_check(  # type: ignore[no-untyped-def]
        self, party, sockets, monkeypatch
    ) -> None:
        monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0)
        room = await sockets.room(party.room, party.tutor_key)
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(
            status=Booking.Status.CANCELLED
        )
        await room.send({"type": "typing"})
        assert (await room.wait_for("error"))["code"] == "access_ended"
        assert await room.wait_closed() == consumers.CLOSE_FORBIDDEN

    async def test_within_the_recheck_interval_the_database_is_not_asked(  # type: ignore[no-untyped-def]
        self, party, sockets
    ) -> None:
        room = await sockets.room(party.room, party.tutor_key)
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(
            status=Booking.Status.CANCELLED
        )
        await room.send({"type": "ping"})
        await room.wait_for("pong")


# --- limits ------------------------------------------------------------------------------------


class TestLimits:
    async def test_an_oversized_frame_is_refused_and_nothing_is_stored(
        self, party, sockets
    ) -> None:  # type: ignore[no-untyped-def]
        room = await sockets.room(party.room, party.learner_key)
        await room.send({"type": "chat", "body": "x" * (realtime.MAX_FRAME_BYTES + 1)})
        assert (await room.wait_for("error"))["code"] == "too_large"
        await room.send({"type": "wb.stroke", "data": {"points": [[0.5, 0.5]] * 9000}})
        assert (await room.wait_for("error"))["code"] == "too_large"
        assert await chat_count(party.room) == 0
        assert not await sync_to_async(WhiteboardStroke.objects.exists)()
        await room.send({"type": "chat", "body": "still connected"})
        assert (await room.wait_for("chat"))["html"] == "<p>still connected</p>\n"

    async def test_a_binary_frame_is_refused(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        room = await sockets.room(party.room, party.learner_key)
        await room.comm.send_to(bytes_data=b"\x00" * 10)
        assert (await room.wait_for("error"))["code"] == "too_large"

    async def test_a_chat_message_over_the_character_limit_is_refused(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        room = await sockets.room(party.room, party.learner_key)
        await room.send({"type": "chat", "body": "y" * (services.MAX_CHAT_CHARS + 1)})
        assert (await room.wait_for("error"))["code"] == "too_long"
        assert await chat_count(party.room) == 0

    @pytest.mark.parametrize(
        ("frame", "code"),
        [
            ("not json", "invalid"),
            ("[1, 2]", "invalid"),
            ('{"no": "type"}', "invalid"),
            ('{"type": "launch"}', "unknown_type"),
            ('{"type": "notes", "base_version": "x", "text": "a"}', "invalid"),
            ('{"type": "wb.stroke", "data": {"points": "nope"}}', "invalid_stroke"),
        ],
    )
    async def test_malformed_messages_get_an_error_event(self, party, sockets, frame, code) -> None:  # type: ignore[no-untyped-def]
        room = await sockets.room(party.room, party.learner_key)
        await room.comm.send_to(text_data=frame)
        assert (await room.wait_for("error"))["code"] == code
        await room.send({"type": "ping"})
        await room.wait_for("pong")

    async def test_flooding_chat_is_rate_limited_and_refused_messages_are_not_stored(  # type: ignore[no-untyped-def]
        self, party, sockets
    ) -> None:
        room = await sockets.room(party.room, party.learner_key)
        sent = 40
        for n in range(sent):
            await room.send({"type": "chat", "body": f"spam {n}"})
        stored_events, refused = 0, 0
        while stored_events + refused < sent:
            event = await room.next_frame()
            if event["type"] == "chat":
                stored_events += 1
            elif event["type"] == "error":
                assert event["code"] == "rate_limited"
                refused += 1
        assert refused >= sent - 10  # a burst of 5, then 1 per second
        assert await chat_count(party.room) == stored_events

    async def test_flooding_any_message_type_is_rate_limited(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        room = await sockets.room(party.room, party.learner_key)
        sent = 300  # the bucket holds 60 and refills 20 per second
        for _ in range(sent):
            await room.send({"type": "ping"})
        answers = [(await room.next_frame())["type"] for _ in range(sent)]
        assert answers.count("pong") + answers.count("error") == sent
        assert "error" in answers
        assert room.seen[-1] == {
            "type": "error",
            "code": "rate_limited",
            "message": "Too many messages: slow down.",
        }
        assert room.close_code is None

    async def test_flooded_whiteboard_strokes_are_not_stored(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        room = await sockets.room(party.room, party.learner_key)
        sent = 150
        for _ in range(sent):
            await room.send({"type": "wb.stroke", "data": {"points": [[0.1, 0.2]]}})
        kinds = [(await room.next_frame())["type"] for _ in range(sent)]
        refused = kinds.count("error")
        assert refused > 0
        assert await sync_to_async(WhiteboardStroke.objects.count)() == sent - refused


# --- chat --------------------------------------------------------------------------------------


class TestChat:
    async def test_a_message_is_stored_then_reaches_both_sanitized(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        body = (
            "**hi** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
        )
        await learner.send({"type": "chat", "body": body})
        seen_by_tutor = await tutor.wait_for("chat")
        seen_by_learner = await learner.wait_for("chat")
        assert seen_by_tutor == seen_by_learner
        stored = await sync_to_async(ChatMessage.objects.get)()
        assert seen_by_tutor["id"] == stored.pk and stored.body == body
        assert seen_by_tutor["author"] == {"id": party.learner.pk, "name": "Lee"}
        html = seen_by_tutor["html"]
        assert html == stored.html
        assert "<strong>hi</strong>" in html
        assert "<script" not in html and "<img" not in html and "href=" not in html
        assert "&lt;script&gt;" in html  # shown as text, not run

    async def test_an_empty_message_is_refused(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        room = await sockets.room(party.room, party.learner_key)
        await room.send({"type": "chat", "body": "   "})
        assert (await room.wait_for("error"))["code"] == "empty"

    async def test_the_history_arrives_on_join(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        for n, author in enumerate([party.tutor, party.learner, party.tutor]):
            await sync_to_async(services.chat_post)(actor=author, room=party.room, body=f"m{n}")
        room = await sockets.room(party.room, party.learner_key)
        chat = room.state["chat"]  # type: ignore[attr-defined]
        assert [m["html"] for m in chat] == ["<p>m0</p>\n", "<p>m1</p>\n", "<p>m2</p>\n"]
        assert [m["author"]["id"] for m in chat] == [
            party.tutor.pk,
            party.learner.pk,
            party.tutor.pk,
        ]
        assert chat == sorted(chat, key=lambda m: m["id"])

    async def test_resuming_from_the_last_id_sends_only_newer_messages(
        self, party, sockets
    ) -> None:  # type: ignore[no-untyped-def]
        ids = [
            (
                await sync_to_async(services.chat_post)(
                    actor=party.tutor, room=party.room, body=f"m{n}"
                )
            ).pk
            for n in range(5)
        ]
        room = await sockets.room(party.room, party.learner_key, query=f"?last_id={ids[2]}")
        assert [m["id"] for m in room.state["chat"]] == ids[3:]  # type: ignore[attr-defined]
        latest = await sockets.room(party.room, party.learner_key, query=f"?last_id={ids[-1]}")
        assert latest.state["chat"] == []  # type: ignore[attr-defined]

    @pytest.mark.parametrize("query", ["?last_id=abc", "?last_id=-4", "?last_id=", "?foo"])
    async def test_a_bad_last_id_sends_everything(self, party, sockets, query) -> None:  # type: ignore[no-untyped-def]
        await sync_to_async(services.chat_post)(actor=party.tutor, room=party.room, body="hello")
        room = await sockets.room(party.room, party.learner_key, query=query)
        assert len(room.state["chat"]) == 1  # type: ignore[attr-defined]

    async def test_a_shared_file_is_announced_in_the_chat(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        from peerlearn.common.testing import PDF_BYTES, upload

        tutor = await sockets.room(party.room, party.tutor_key)
        message = await sync_to_async(services.file_share)(
            actor=party.learner,
            room_id=party.room.pk,
            upload=upload("notes.pdf", PDF_BYTES, "application/pdf"),
        )
        event = await tutor.wait_for("chat")
        assert event["id"] == message.pk
        assert event["file"]["name"] == "notes.pdf" and event["file"]["size"] == len(PDF_BYTES)
        assert event["file"]["url"] == reverse("live:file", args=[message.file_id])


class TestDelivery:
    """Acknowledgement, idempotent resend, the chain of ``prev`` ids, resync paging."""

    async def test_a_message_with_a_client_id_is_acknowledged_with_its_stored_id(
        self, party, sockets
    ) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await learner.send({"type": "chat", "body": "hello", "client_id": "c-1"})
        ack = await learner.wait_for("ack")
        stored = await sync_to_async(ChatMessage.objects.get)()
        assert ack == {"type": "ack", "client_id": "c-1", "id": stored.pk}
        assert stored.client_id == "c-1"
        assert (await tutor.wait_for("chat"))["id"] == stored.pk
        assert not [e for e in await tutor.settle() if e["type"] == "ack"]  # the sender's only

    async def test_a_resend_with_the_same_client_id_is_stored_once(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await learner.send({"type": "chat", "body": "only once", "client_id": "c-2"})
        first = await learner.wait_for("ack")
        await learner.close()  # the ack "was lost": the browser resends after reconnecting
        again = await sockets.room(party.room, party.learner_key)
        await again.send({"type": "chat", "body": "only once", "client_id": "c-2"})
        assert (await again.wait_for("ack"))["id"] == first["id"]
        assert await chat_count(party.room) == 1
        await tutor.settle()
        chats = [e for e in tutor.seen if e["type"] == "chat"]
        assert [e["id"] for e in chats] == [first["id"]]
        # Another author's message with the same client id is a different message.
        await tutor.send({"type": "chat", "body": "mine", "client_id": "c-2"})
        assert (await tutor.wait_for("ack"))["id"] != first["id"]
        assert await chat_count(party.room) == 2

    async def test_a_refused_message_names_its_client_id(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        room = await sockets.room(party.room, party.learner_key)
        await room.send({"type": "chat", "body": " ", "client_id": "c-3"})
        error = await room.wait_for("error")
        assert (error["code"], error["client_id"]) == ("empty", "c-3")

    async def test_each_message_names_the_one_before_it(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        ids = []
        for n in range(3):
            await tutor.send({"type": "chat", "body": f"m{n}", "client_id": f"p{n}"})
            ids.append((await tutor.wait_for("ack"))["id"])
        await tutor.settle()
        live = [e for e in tutor.seen if e["type"] == "chat"]
        assert [(e["prev"], e["id"]) for e in live] == [
            (0, ids[0]),
            (ids[0], ids[1]),
            (ids[1], ids[2]),
        ]
        joined = await sockets.room(party.room, party.learner_key, query=f"?last_id={ids[0]}")
        assert [(e["prev"], e["id"]) for e in joined.state["chat"]] == [  # type: ignore[attr-defined]
            (ids[0], ids[1]),
            (ids[1], ids[2]),
        ]

    async def test_a_long_absence_is_caught_up_page_by_page_in_order(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        @sync_to_async
        def post_many(count: int) -> list[int]:
            return [
                services.chat_post(actor=party.tutor, room=party.room, body=f"m{n}").pk
                for n in range(count)
            ]

        ids = await post_many(selectors.CHAT_PAGE * 2 + 7)
        room = await sockets.room(party.room, party.learner_key, query=f"?last_id={ids[2]}")
        state = room.state  # type: ignore[attr-defined]
        assert state["chat_more"] is True and len(state["chat"]) == selectors.CHAT_PAGE
        received = [m["id"] for m in state["chat"]]
        while True:
            page = await room.wait_for("chat.page")
            received += [m["id"] for m in page["chat"]]
            if not page["more"]:
                break
        assert received == ids[3:]
        # A resync on the same connection answers the same way, from the cursor it names.
        await room.send({"type": "resync", "last_id": ids[-5]})
        again = await room.wait_for("state")
        assert again["resync"] is True and [m["id"] for m in again["chat"]] == ids[-4:]
        assert again["chat_more"] is False and again["peer_id"] == state["peer_id"]

    async def test_the_state_carries_only_what_the_page_lacks(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        for x in (0.1, 0.2):
            await tutor.send({"type": "wb.stroke", "data": {"points": [[x, x]]}})
            await tutor.wait_for("wb.stroke")
        first = await sync_to_async(lambda: selectors.strokes(room=party.room).first().pk)()  # type: ignore[union-attr]
        held = await sockets.room(
            party.room, party.learner_key, query=f"?strokes_after={first}&notes_version=0"
        )
        assert held.state["strokes_full"] is False and len(held.state["strokes"]) == 1  # type: ignore[attr-defined]
        assert held.state["notes"] is None  # type: ignore[attr-defined]
        await tutor.send({"type": "wb.clear"})
        await tutor.wait_for("wb.clear")
        cleared = await sockets.room(party.room, party.learner_key, query=f"?strokes_after={first}")
        assert cleared.state["strokes_full"] is True and cleared.state["strokes"] == []  # type: ignore[attr-defined]


def redis_url() -> str:
    """The site's Redis (the channel-layer tests use it with a prefix of their own)."""
    url = os.environ.get("REDIS_URL", "")
    require(bool(url), "Redis (REDIS_URL)")
    return url


class TestChannelLayerErrors:
    """No channel-layer error closes a socket: the write is stored and acknowledged, the socket
    answers, and the failure is counted (``realtime.LayerStats``)."""

    async def test_a_full_channel_does_not_close_the_socket(self, party, sockets, settings) -> None:  # type: ignore[no-untyped-def]
        """Redis's core layer with room for one message per channel, and a peer whose process
        died (its presence row outlives it for a while): signals to it overflow its channel."""
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [redis_url()],
                    "capacity": 1,
                    "prefix": f"test-{uuid.uuid4().hex[:8]}",
                },
            }
        }
        channel_layers.backends.clear()
        learner = await sockets.room(party.room, party.learner_key)
        dead = "specific.deadprocess!0123456789"
        await sync_to_async(services.presence_enter)(
            room=party.room, channel=dead, user=party.tutor
        )
        for n in range(5):
            await learner.send({"type": "signal", "to": dead, "data": {"n": n}})
        await learner.send({"type": "chat", "body": "still here", "client_id": "f-1"})
        assert (await learner.wait_for("ack"))["client_id"] == "f-1"
        await learner.send({"type": "ping"})
        await learner.wait_for("pong")
        assert learner.close_code is None
        assert realtime.LayerStats.errors.get("send: ChannelFull", 0) >= 1

    async def test_an_unreachable_redis_does_not_close_the_socket(
        self, party, sockets, settings
    ) -> None:  # type: ignore[no-untyped-def]
        with socket_module.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]},
            }
        }
        channel_layers.backends.clear()
        learner = await sockets.room(party.room, party.learner_key)
        await learner.send({"type": "typing"})
        await learner.send({"type": "chat", "body": "stored anyway", "client_id": "u-1"})
        ack = await learner.wait_for("ack")
        stored = await sync_to_async(ChatMessage.objects.get)()
        assert ack["id"] == stored.pk and stored.body == "stored anyway"
        await learner.send({"type": "ping"})
        await learner.wait_for("pong")
        assert learner.close_code is None
        assert any(k.startswith("group_send") for k in realtime.LayerStats.errors)


# --- presence, typing, screen, signaling -------------------------------------------------------


class TestPresenceAndSignaling:
    async def test_peers_learn_about_each_other(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        joined = await tutor.wait_for("peer.joined")
        assert joined["peer"] == learner.state["peer_id"]  # type: ignore[attr-defined]
        assert joined["user"] == {"id": party.learner.pk, "name": "Lee"}
        # The newcomer reads who is here from its state (no O(n) introductions over the layer).
        assert learner.state["peers"] == [  # type: ignore[attr-defined]
            {"peer": tutor.state["peer_id"], "user": {"id": party.tutor.pk, "name": "Tara"}}  # type: ignore[attr-defined]
        ]
        await learner.close()
        assert (await tutor.wait_for("peer.left"))["peer"] == learner.state["peer_id"]  # type: ignore[attr-defined]

    async def test_typing_reaches_the_others_only(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await tutor.wait_for("peer.joined")
        await learner.send({"type": "typing"})
        assert (await tutor.wait_for("typing"))["user"] == {"id": party.learner.pk, "name": "Lee"}
        assert not [e for e in await learner.settle() if e["type"] == "typing"]

    async def test_screen_sharing_state_reaches_everyone(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await learner.send({"type": "screen", "sharing": True})
        for socket in (tutor, learner):
            event = await socket.wait_for("screen")
            assert event["sharing"] is True and event["user"]["id"] == party.learner.pk

    async def test_an_offer_is_relayed_to_that_peer_only(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        second = await sync_to_async(make_user)(display_name="Sam")
        # Ended ten minutes ago (its room is open for 30 minutes more): it must not overlap the
        # party's booking, which PostgreSQL's exclusion constraint on time claims forbids.
        group = await sync_to_async(make_booking)(
            party.tutor, [party.learner, second], starts_in=timedelta(minutes=-70)
        )
        room = await sync_to_async(selectors.room_for_booking)(booking=group)
        tutor = await sockets.room(room, party.tutor_key)
        learner = await sockets.room(room, party.learner_key)
        sam = await sockets.room(room, await sync_to_async(session_key)(second))
        for socket, expected in ((tutor, 2), (learner, 1), (sam, 0)):
            for _ in range(expected):
                await socket.wait_for("peer.joined")
        offer = {"description": {"type": "offer", "sdp": "v=0..."}}
        await tutor.send({"type": "signal", "to": learner.state["peer_id"], "data": offer})  # type: ignore[attr-defined]
        relayed = await learner.wait_for("signal")
        assert relayed == {
            "type": "signal",
            "from": tutor.state["peer_id"],  # type: ignore[attr-defined]
            "from_user": party.tutor.pk,
            "data": offer,
        }
        answer = {"description": {"type": "answer", "sdp": "v=0..."}}
        await learner.send({"type": "signal", "to": relayed["from"], "data": answer})
        assert (await tutor.wait_for("signal"))["data"] == answer
        assert not [e for e in await sam.settle() if e["type"] == "signal"]
        assert not [e for e in await learner.settle() if e["type"] == "signal"]

    async def test_a_signal_to_someone_outside_the_room_is_refused(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        elsewhere_tutor = await sync_to_async(make_tutor)(display_name="Ella")
        other_booking = await sync_to_async(make_booking)(elsewhere_tutor, [party.outsider])
        other_room = await sync_to_async(selectors.room_for_booking)(booking=other_booking)
        stranger = await sockets.room(other_room, party.outsider_key)
        learner = await sockets.room(party.room, party.learner_key)
        for target in (stranger.state["peer_id"], learner.state["peer_id"], "nobody", None, 7):  # type: ignore[attr-defined]
            await learner.send({"type": "signal", "to": target, "data": {"candidate": "x"}})
            assert (await learner.wait_for("error"))["code"] == "unknown_peer"
        assert not [e for e in await stranger.settle() if e["type"] == "signal"]

    async def test_a_signal_without_data_is_refused(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await learner.send({"type": "signal", "to": tutor.state["peer_id"], "data": "sdp"})  # type: ignore[attr-defined]
        assert (await learner.wait_for("error"))["code"] == "unknown_peer"


# --- whiteboard and notes ------------------------------------------------------------------------


class TestWhiteboard:
    async def test_strokes_are_broadcast_replayed_to_latecomers_and_cleared(
        self, party, sockets
    ) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        strokes = [
            {"points": [[0.1, 0.1], [0.2, 0.25]], "color": "#ff0000", "width": 4},
            {"points": [[0.5, 0.5], [2, -1]], "color": "red; background:url(x)", "erase": True},
        ]
        for data in strokes:
            await tutor.send({"type": "wb.stroke", "data": data})
            await tutor.wait_for("wb.stroke")
        latecomer = await sockets.room(party.room, party.learner_key)
        replay = latecomer.state["strokes"]  # type: ignore[attr-defined]
        assert [s["data"] for s in replay] == [
            {"points": [[0.1, 0.1], [0.2, 0.25]], "color": "#ff0000", "width": 4.0, "erase": False},
            {"points": [[0.5, 0.5], [1.0, 0.0]], "color": "#222222", "width": 3, "erase": True},
        ]
        assert {s["author"] for s in replay} == {party.tutor.pk}
        await latecomer.send({"type": "wb.stroke", "data": {"points": [[0.3, 0.3]]}})
        live = await tutor.wait_for("wb.stroke")
        assert live["author"] == party.learner.pk and live["data"]["points"] == [[0.3, 0.3]]
        await latecomer.send({"type": "wb.clear"})
        for socket in (tutor, latecomer):
            assert (await socket.wait_for("wb.clear"))["by"]["id"] == party.learner.pk
        assert not await sync_to_async(WhiteboardStroke.objects.exists)()
        after = await sockets.room(party.room, party.tutor_key)
        assert after.state["strokes"] == []  # type: ignore[attr-defined]

    async def test_a_stroke_with_nan_is_refused_with_an_error_event(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        """json.loads accepts NaN; the database's JSON check would not (nor would a browser)."""
        room = await sockets.room(party.room, party.tutor_key)
        frame = '{"type": "wb.stroke", "data": {"points": [[NaN, 0.5]], "width": Infinity}}'
        await room.comm.send_to(text_data=frame)
        assert (await room.wait_for("error"))["code"] == "invalid_stroke"
        await room.send({"type": "ping"})
        await room.wait_for("pong")
        assert not await sync_to_async(WhiteboardStroke.objects.exists)()


@sync_to_async
def revision_rows() -> list[tuple[int, str]]:
    return list(NotesRevision.objects.order_by("version").values_list("version", "text"))


class TestNotes:
    async def test_concurrent_edits_of_different_lines_merge(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await tutor.send({"type": "notes", "base_version": 0, "text": "a\nb\nc\n"})
        assert (await learner.wait_for("notes"))["version"] == 1
        await tutor.wait_for("notes")
        await asyncio.gather(
            tutor.send({"type": "notes", "base_version": 1, "text": "A\nb\nc\n"}),
            learner.send({"type": "notes", "base_version": 1, "text": "a\nb\nC\n"}),
        )
        final = await tutor.wait_for("notes", version=3)
        assert final["text"] == "A\nb\nC\n" and final["merged"] is True
        assert (await learner.wait_for("notes", version=3))["text"] == "A\nb\nC\n"
        notes = await sync_to_async(SharedNotes.objects.get)(room=party.room)
        assert (notes.version, notes.text) == (3, "A\nb\nC\n")
        revisions = await revision_rows()
        assert revisions[0] == (1, "a\nb\nc\n") and revisions[2] == (3, "A\nb\nC\n")
        assert revisions[1][1] in {"A\nb\nc\n", "a\nb\nC\n"}
        conflicts = [e for e in tutor.seen + learner.seen if e["type"] == "notes.conflict"]
        assert conflicts == []

    async def test_edits_of_the_same_line_conflict_for_the_second_writer(
        self, party, sockets
    ) -> None:  # type: ignore[no-untyped-def]
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await tutor.send({"type": "notes", "base_version": 0, "text": "plan\nstep one\n"})
        await learner.wait_for("notes", version=1)
        await tutor.send({"type": "notes", "base_version": 1, "text": "plan\nstep ONE (tutor)\n"})
        await learner.wait_for("notes", version=2)
        await learner.send({"type": "notes", "base_version": 1, "text": "plan\nstep 1 (learner)\n"})
        conflict = await learner.wait_for("notes.conflict")
        assert conflict == {
            "type": "notes.conflict",
            "version": 2,
            "text": "plan\nstep ONE (tutor)\n",
            "yours": "plan\nstep 1 (learner)\n",
        }
        assert not [e for e in await tutor.settle() if e["type"] == "notes.conflict"]
        # The learner resolves on top of the current version: accepted, nothing was lost.
        resolved = "plan\nstep ONE (tutor)\nstep 1 (learner)\n"
        await learner.send({"type": "notes", "base_version": 2, "text": resolved})
        assert (await tutor.wait_for("notes", version=3))["text"] == resolved
        texts = [text for _, text in await revision_rows()]
        assert texts == ["plan\nstep one\n", "plan\nstep ONE (tutor)\n", resolved]

    async def test_notes_are_in_the_state_of_a_latecomer(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        await sync_to_async(services.notes_update)(
            actor=party.tutor, room=party.room, base_version=0, text="agenda"
        )
        room = await sockets.room(party.room, party.learner_key)
        assert room.state["notes"] == {"version": 1, "text": "agenda"}  # type: ignore[attr-defined]


# --- notifications socket ------------------------------------------------------------------------


class TestNotificationSocket:
    async def test_it_refuses_an_anonymous_user(self, sockets) -> None:  # type: ignore[no-untyped-def]
        assert await sockets.refused("/ws/notifications/", None) == 4403

    async def test_a_notification_is_pushed_with_the_unread_count(self, party, sockets) -> None:  # type: ignore[no-untyped-def]
        bell = sockets.make("/ws/notifications/", party.learner_key)
        assert (await bell.connect())[0]
        other = sockets.make("/ws/notifications/", party.tutor_key)
        assert (await other.connect())[0]
        room = await sockets.room(party.room, party.learner_key)
        for n in (1, 2):
            note = await sync_to_async(notify)(
                user=party.learner, kind="booking_reminder", title=f"Soon {n}", body="", url="/x/"
            )
            event = await bell.wait_for("notification")
            assert event == {
                "type": "notification",
                "unread_count": n,
                "id": note.pk,
                "kind": "booking_reminder",
                "title": f"Soon {n}",
                "url": "/x/",
            }
        assert not [e for e in await other.settle() if e["type"] == "notification"]
        assert not [e for e in await room.settle() if e["type"] == "notification"]
        await bell.send({"type": "ping"})
        await bell.wait_for("pong")


class Statements:
    """Every SQL statement any thread runs while active (socket code runs its database work on
    worker threads, each with its own connection, which ``django_assert_num_queries`` does not
    see). It wraps Django's cursor, not the project's code."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sql: list[str] = []
        self.active = False
        execute = CursorWrapper.execute

        def counted(cursor: CursorWrapper, sql: str, params: Any = None) -> Any:
            if self.active:
                self.sql.append(sql)
            return execute(cursor, sql, params)

        monkeypatch.setattr(CursorWrapper, "execute", counted)

    def __enter__(self) -> Statements:
        self.sql.clear()
        self.active = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.active = False


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Statements:
    return Statements(monkeypatch)


class TestDatabaseCost:
    """What the room socket's hot paths cost the database, in statements (not time)."""

    async def test_a_connect_runs_at_most_nine_statements(self, party, sockets, statements) -> None:  # type: ignore[no-untyped-def]
        await sockets.room(party.room, party.tutor_key)  # the room's notes exist from here on
        with statements:
            learner = await sockets.room(party.room, party.learner_key)
        assert learner.state["me"]["id"] == party.learner.pk  # type: ignore[attr-defined]
        # SQLite's transactions are statements too (BEGIN IMMEDIATE, COMMIT); PostgreSQL's are
        # not sent through the cursor, and savepoints count.
        queries = [q for q in statements.sql if q not in {"BEGIN IMMEDIATE", "COMMIT"}]
        assert len(queries) <= 9, "\n".join(queries)

    async def test_a_chat_message_runs_one_statement_on_postgresql(  # type: ignore[no-untyped-def]
        self, party, sockets, statements
    ) -> None:
        require(connection.vendor == "postgresql", "PostgreSQL")
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        with statements:
            await learner.send({"type": "chat", "body": "hi", "client_id": "q-1"})
            await learner.wait_for("ack")
            await tutor.wait_for("chat")
        assert len(statements.sql) == 1, "\n".join(statements.sql)
