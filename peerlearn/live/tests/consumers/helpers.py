"""Shared helpers of the socket tests: a client socket under test (bounded waits), a booking's
party with browser sessions, and a statement counter that sees every thread."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import types
from importlib import import_module
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.backends.utils import CursorWrapper
from django.test import Client

from config.asgi import application
from conftest import require
from peerlearn.accounts.models import User
from peerlearn.common.testing import make_booking, make_tutor, make_user
from peerlearn.live import selectors
from peerlearn.live.models import ChatMessage, NotesRevision, Room


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

ORIGIN = "http://localhost"
WAIT = 5.0  # seconds: the bound on every wait for an event that must come
SETTLE = 0.3  # seconds: how long to listen when checking that nothing (more) arrives


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


def room_path(room: Room) -> str:
    return f"/ws/rooms/{room.pk}/"


@sync_to_async
def chat_count(room: Room) -> int:
    return ChatMessage.objects.filter(room=room).count()


def redis_url() -> str:
    """The site's Redis (the channel-layer tests use it with a prefix of their own)."""
    url = os.environ.get("REDIS_URL", "")
    require(bool(url), "Redis (REDIS_URL)")
    return url


@sync_to_async
def revision_rows() -> list[tuple[int, str]]:
    return list(NotesRevision.objects.order_by("version").values_list("version", "text"))


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
