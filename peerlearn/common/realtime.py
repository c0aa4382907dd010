"""The real-time core every live app builds on: group names, the typed event contracts shared by
all sockets, broadcast on commit, token buckets, close codes, and the socket base classes.

Delivery model (docs/architecture.md, "Real-time"): the database is the truth and the channel
layer only carries news. So no channel-layer error (a full channel, an exhausted Redis pool, Redis
gone) ever closes a socket or fails a write: it is caught, counted and logged here, and the
affected sockets are told to ``resync`` once the layer works again. A per-process probe (a
message sent to itself through the layer, every ``PROBE_SECONDS``) notices both the outage and
the recovery, so even a socket that only listens learns that it may have missed something.

Apps import from here and never from each other's consumers; this module imports no app.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, NotRequired, Protocol, TypedDict

from asgiref.sync import SyncToAsync, async_to_sync
from channels.db import DatabaseSyncToAsync
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403  # not allowed here (never was, or no longer)
CLOSE_LOGGED_OUT = 4401  # the browser session ended
MAX_FRAME_BYTES = 64 * 1024
RECHECK_SECONDS = 30  # how stale an access check may get before a socket checks again
PROBE_SECONDS = 1.0  # the channel-layer health probe's period
PROBE_TIMEOUT = 2.0
LOG_EVERY_SECONDS = 10.0  # channel-layer errors are counted; one log line per kind per period


# --- group names ---------------------------------------------------------------------------


def group_name(*parts: str | int) -> str:
    """The one way group names are made: dotted parts (the layers allow [a-z0-9._-])."""
    return ".".join(str(part) for part in parts)


def user_group(user_id: int) -> str:
    """Every socket of one user: to disconnect a user who logged out or lost access."""
    return group_name("user", user_id)


def session_group(session_key: str) -> str:
    """The sockets opened with one browser session (hashed: the key is a credential)."""
    return group_name("session", hashlib.sha256(session_key.encode()).hexdigest()[:32])


# --- event contracts shared by every socket -------------------------------------------------


class Person(TypedDict):
    id: int
    name: str


class Named(Protocol):
    @property
    def pk(self) -> Any: ...
    @property
    def display_name(self) -> str: ...


def person(user: Named) -> Person:
    return {"id": int(user.pk), "name": user.display_name}


class ErrorEvent(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    client_id: NotRequired[str]


class PongEvent(TypedDict):
    type: Literal["pong"]


class ResyncEvent(TypedDict):
    """The channel layer failed and recovered: events may have been lost; read again."""

    type: Literal["resync"]


# What goes over the channel layer (the envelope); ``event`` is what the browser receives.
class EventMessage(TypedDict):
    type: Literal["realtime.event"]
    event: Mapping[str, object]
    exclude: NotRequired[str | None]


class ForceDisconnectMessage(TypedDict):
    type: Literal["force.disconnect"]
    reason: str


# --- channel-layer errors never escape ------------------------------------------------------


class LayerStats:
    """Per process: how many channel-layer operations failed, by kind (bench and logs)."""

    errors: dict[str, int] = {}
    logged_at: dict[str, float] = {}

    @classmethod
    def note(cls, what: str, exc: BaseException) -> None:
        key = f"{what}: {type(exc).__name__}"
        cls.errors[key] = cls.errors.get(key, 0) + 1
        now = time.monotonic()
        if now - cls.logged_at.get(key, 0.0) >= LOG_EVERY_SECONDS:
            cls.logged_at[key] = now
            logger.warning(
                "channel layer %s failed (%s; %d so far in this process): %s",
                what,
                type(exc).__name__,
                cls.errors[key],
                exc,
            )


def _layer_failed(layer: BaseChannelLayer | None, what: str, exc: BaseException) -> None:
    LayerStats.note(what, exc)
    watch = _current_watch(layer)
    if watch is not None:
        watch.healthy = False


async def layer_call(layer: BaseChannelLayer | None, operation: str, *args: Any) -> bool:
    """``layer.<operation>(*args)``; False (counted, logged, the probe told) if it failed."""
    if layer is None:
        return False
    try:
        await getattr(layer, operation)(*args)
    except Exception as exc:
        _layer_failed(layer, operation, exc)
        return False
    return True


async def safe_group_send(layer: BaseChannelLayer | None, group: str, message: Any) -> bool:
    return await layer_call(layer, "group_send", group, message)


async def safe_send(layer: BaseChannelLayer | None, channel: str, message: Any) -> bool:
    return await layer_call(layer, "send", channel, message)


async def safe_group_add(layer: BaseChannelLayer | None, group: str, channel: str) -> bool:
    return await layer_call(layer, "group_add", group, channel)


async def safe_group_discard(layer: BaseChannelLayer | None, group: str, channel: str) -> bool:
    return await layer_call(layer, "group_discard", group, channel)


def broadcast(group: str, event: Mapping[str, object]) -> None:
    """Send ``event`` to every socket in ``group`` once the current transaction commits (at
    once outside one). Best effort: the write it announces is stored either way, and a socket
    that missed it resyncs. Apps wrap it with their own event union (e.g. ``live.services
    .room_broadcast(room_id, event: RoomEvent)``) so mypy checks each send site."""
    layer = get_channel_layer()
    if layer is None:
        return
    message: EventMessage = {"type": "realtime.event", "event": event}

    def send() -> None:
        loop = _serving_loop()
        if loop is not None:
            # A socket's database thread: hand the send to the server's event loop and return,
            # so the thread is free for the next write (and sends keep their order: FIFO).
            loop.call_soon_threadsafe(
                loop.create_task, layer_call(layer, "group_send", group, message)
            )
            return
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception as exc:
            LayerStats.note("broadcast", exc)

    transaction.on_commit(send)


def _serving_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the ASGI server when called from one of its ``sync_to_async`` threads
    (asgiref records it per thread), else None (a WSGI worker, a task, a command)."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() else None


def send_to_group(group: str, message: Mapping[str, object]) -> None:
    """A channel-layer message (not a browser event) to a group, now, best effort."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, dict(message))
    except Exception as exc:
        LayerStats.note("group_send", exc)


def disconnect_session(session_key: str, *, reason: str) -> None:
    """Close every live socket opened with one browser session (it was logged out)."""
    message: ForceDisconnectMessage = {"type": "force.disconnect", "reason": reason}
    send_to_group(session_group(session_key), message)


# --- the database from a socket -------------------------------------------------------------


def _database_threads() -> int:
    """One thread per pooled connection but two: those are for the thread-sensitive calls
    (channels' session auth, Django's own) and the main thread (a management command, a test),
    so no socket waits for the pool."""
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    size = int(pool["max_size"]) if isinstance(pool, dict) and "max_size" in pool else 6
    return max(1, size - 2)


_executor = ThreadPoolExecutor(max_workers=_database_threads(), thread_name_prefix="socket-db")


def database_sync_to_async[**P, R](func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Channels' ``database_sync_to_async`` (stale connections closed around the call), but on
    a pool of threads sized to the database pool, instead of the one thread every
    thread-sensitive call of the process queues for (which made all the database work of a
    process's sockets one at a time). Each call is complete in itself (its own transaction),
    so none needs a particular thread."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=_executor)


# --- rate limits ----------------------------------------------------------------------------


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


# --- the layer's health, per process and event loop -----------------------------------------


class LayerWatch:
    """Probes the channel layer by sending a message to itself; when a probe fails (or a socket
    reports a failure) and a later one succeeds, every socket of this process rejoins its
    groups and tells its client to resync. One per (layer, event loop); runs while sockets do."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.healthy = True
        self.sockets: weakref.WeakSet[AuthenticatedSocket] = weakref.WeakSet()
        self.task: asyncio.Task[None] | None = None
        self.channel: str | None = None
        self.sequence = 0

    def register(self, socket: AuthenticatedSocket) -> None:
        self.sockets.add(socket)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    async def probe(self) -> bool:
        try:
            if self.channel is None:
                self.channel = await self.layer.new_channel("probe.")
            self.sequence += 1
            await self.layer.send(self.channel, {"type": "probe", "n": self.sequence})
            async with asyncio.timeout(PROBE_TIMEOUT):
                while (await self.layer.receive(self.channel)).get("n") != self.sequence:
                    pass
        except Exception as exc:
            LayerStats.note("probe", exc)
            self.channel = None  # a cancelled receive may have unsubscribed it
            return False
        return True

    async def run(self) -> None:
        while self.sockets:
            await asyncio.sleep(PROBE_SECONDS)
            was_healthy = self.healthy
            ok = await self.probe()
            if ok and not (was_healthy and self.healthy):
                logger.warning("channel layer works again: %d sockets resync", len(self.sockets))
                for socket in list(self.sockets):
                    asyncio.get_running_loop().create_task(socket.layer_recovered())
            self.healthy = ok


def _current_watch(layer: BaseChannelLayer | None) -> LayerWatch | None:
    if layer is None or isinstance(layer, InMemoryChannelLayer):
        return None  # an in-process layer cannot lose messages to an outage
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    watches: dict[asyncio.AbstractEventLoop, LayerWatch] = layer.__dict__.setdefault(
        "_peerlearn_watches", {}
    )
    if loop not in watches:
        watches[loop] = LayerWatch(layer)
    return watches[loop]


# --- sockets --------------------------------------------------------------------------------


class AuthenticatedSocket(AsyncJsonWebsocketConsumer):
    """Common parts of every socket: the user's groups, forced disconnects, frame limits, and a
    channel layer whose errors degrade delivery instead of ending the connection."""

    groups_joined: list[str]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' ``AsyncConsumer.__call__``, except that a failing channel-layer receive is
        retried (with backoff) instead of ending the consumer and with it the socket."""
        self.scope = scope
        self.groups_joined = []
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        sources = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.new_channel()
            sources.append(self.receive_from_layer)
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch(sources, self.dispatch)

    async def new_channel(self) -> str:
        assert self.channel_layer is not None
        for delay in (0.1, 0.3, 1.0, 2.0, None):
            try:
                return str(await self.channel_layer.new_channel())
            except Exception as exc:
                _layer_failed(self.channel_layer, "new_channel", exc)
                if delay is None:
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def receive_from_layer(self) -> Any:
        assert self.channel_layer is not None
        delay = 0.05
        while True:
            try:
                return await self.channel_layer.receive(self.channel_name)
            except Exception as exc:
                _layer_failed(self.channel_layer, "receive", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def dispatch(self, message: Any) -> None:
        """Channels closes stale database connections before every message; our handlers only
        reach the database through ``database_sync_to_async``, which does that itself, so a
        broadcast is forwarded without a detour through the thread pool."""
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def join_group(self, group: str) -> None:
        self.groups_joined.append(group)
        await safe_group_add(self.channel_layer, group, self.channel_name)

    async def join_user_groups(self) -> None:
        user = self.scope["user"]
        await self.join_group(user_group(user.pk))
        session = self.scope.get("session")
        if session is not None and session.session_key:
            await self.join_group(session_group(session.session_key))
        watch = _current_watch(self.channel_layer)
        if watch is not None:
            watch.register(self)

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await safe_group_discard(self.channel_layer, group, self.channel_name)

    async def layer_recovered(self) -> None:
        """The layer works again after an outage: rejoin (a restarted Redis forgot every group)
        and tell the client that it may have missed events."""
        for group in self.groups_joined:
            await safe_group_add(self.channel_layer, group, self.channel_name)
        await self.resync()

    async def resync(self) -> None:
        event: ResyncEvent = {"type": "resync"}
        await self.send_quietly(event)

    async def send_quietly(self, event: Mapping[str, object]) -> None:
        """Send from outside the socket's own dispatch (the probe): it may have closed."""
        try:
            await self.send_json(event)
        except Exception as exc:
            logger.debug("could not send %s: %s", event.get("type"), exc)

    async def force_disconnect(self, message: ForceDisconnectMessage) -> None:
        await self.send_error("disconnected", message.get("reason", ""))
        await self.close(code=CLOSE_LOGGED_OUT)

    async def send_error(self, code: str, message: str, *, client_id: str | None = None) -> None:
        event: ErrorEvent = {"type": "error", "code": code, "message": message}
        if client_id:
            event["client_id"] = client_id
        await self.send_json(event)

    async def pong(self) -> None:
        event: PongEvent = {"type": "pong"}
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

    async def realtime_event(self, message: EventMessage) -> None:
        """A broadcast (``broadcast``): forwarded unless excluded; subclasses filter."""
        if message.get("exclude") != self.channel_name:
            await self.send_json(message["event"])

    async def notification_push(self, message: Mapping[str, object]) -> None:
        """Notifications reach every socket of a user; only the bell's socket shows them."""


class ListeningSocket(AuthenticatedSocket):
    """A socket that only listens (the page writes over HTTP): answers pings and forwards the
    events broadcast to its groups."""

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if content["type"] == "ping":
            await self.pong()

    async def listen(self, group: str) -> None:
        """The usual connect: the user's groups, ``group``, then accept."""
        await self.join_user_groups()
        await self.join_group(group)
        await self.accept()
