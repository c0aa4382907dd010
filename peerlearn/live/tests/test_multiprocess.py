"""Two real ASGI server processes (uvicorn) sharing a Redis channel layer and one database.

Each test starts its own ``redis-server`` on a free loopback port (never the machine's shared
one, which this test stops and restarts) and two uvicorn processes on ``config.asgi:application``
over a throwaway SQLite file. Clients are real WebSocket clients (``websockets``) sending the
session cookie and an allowed ``Origin``, as a browser does.

What is checked: a message sent to process A reaches a client of process B; and with Redis
stopped and restarted mid-conversation, every stored message reaches every client once they
reconnect with ``?last_id=`` — the database is the source of truth, Redis only carries news.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conftest import require

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
WAIT = 10.0  # seconds: the bound on every wait for something that must happen
ORIGIN = "http://localhost"

# Run in a subprocess against the throwaway database: a booking whose join window is open, its
# room, and a logged-in browser session for each participant.
SETUP_SCRIPT = """
import json
from datetime import timedelta

import django

django.setup()
from django.conf import settings
from django.test import Client
from django.utils import timezone

from peerlearn.common.testing import make_tutor, make_user
from peerlearn.live.selectors import room_for_booking
from peerlearn.scheduling.models import Booking, TimeClaim

settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
tutor = make_tutor("tutor@example.org", display_name="Tara")
learner = make_user("learner@example.org", display_name="Lee")
starts = timezone.now() - timedelta(minutes=5)
ends = starts + timedelta(hours=2)
booking = Booking.objects.create(
    tutor=tutor, subject=tutor.teaching_subjects.get().subject, starts_at=starts, ends_at=ends,
    status=Booking.Status.CONFIRMED, created_by=learner,
)
for user, role in ((tutor, "tutor"), (learner, "learner")):
    TimeClaim.objects.create(booking=booking, user=user, role=role, starts_at=starts, ends_at=ends)
room = room_for_booking(booking=booking)


def session_key(user):
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


print(json.dumps({
    "room": room.pk, "tutor": session_key(tutor), "learner": session_key(learner),
    "tutor_id": tutor.pk, "learner_id": learner.pk,
}))
"""

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + WAIT * 3
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {WAIT * 3:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=WAIT)


@dataclass
class Site:
    """The throwaway database and the people and room in it."""

    env: dict[str, str]
    db_path: Path
    room: int
    keys: dict[str, str]

    def stored_chat(self) -> list[tuple[int, str]]:
        with sqlite3.connect(self.db_path) as db:
            rows = db.execute("SELECT id, body FROM live_chatmessage ORDER BY id").fetchall()
        return [(int(i), str(b)) for i, b in rows]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    require(shutil.which("redis-server") is not None, "redis-server")
    var_dir = tmp_path_factory.mktemp("multiprocess")
    db_path = var_dir / "peerlearn.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))},
        "PEERLEARN_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{db_path}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "ERROR",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    out = subprocess.run(
        [sys.executable, "-c", SETUP_SCRIPT],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return Site(env, db_path, data["room"], {"tutor": data["tutor"], "learner": data["learner"]})


class Redis:
    """A private redis-server on a free loopback port, without persistence: stopping it loses
    every queued message and group membership, like a crash."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.dir = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.proc, "redis-server")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None


@dataclass
class Stack:
    redis: Redis
    ports: tuple[int, int]


@pytest.fixture
def stack(site: Site, tmp_path: Path) -> Iterator[Stack]:
    redis = Redis(tmp_path)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        redis.start()
        ports = (free_port(), free_port())
        for port in ports:
            servers.append(
                subprocess.Popen(
                    [
                        str(VENV_BIN / "uvicorn"),
                        "config.asgi:application",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--lifespan",
                        "off",
                        "--log-level",
                        "critical",
                        "--no-access-log",
                    ],
                    cwd=ROOT,
                    env={**site.env, "REDIS_URL": redis.url},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port, proc in zip(ports, servers, strict=True):
            wait_for_port(port, proc, "uvicorn")
        yield Stack(redis, ports)
    finally:
        for proc in servers:
            stop(proc)
        redis.stop()


class Client:
    """One participant's room socket, remembering every chat message id it has seen."""

    def __init__(self, site: Site, port: int, who: str) -> None:
        self.site, self.port, self.who = site, port, who
        self.ws: ClientConnection | None = None
        self.seen: dict[int, str] = {}
        self.state: dict[str, Any] = {}

    @property
    def last_id(self) -> int:
        return max(self.seen, default=0)

    async def connect(self) -> list[int]:
        """Open the socket (resuming after the last id seen); the ids the state caught up."""
        query = f"?last_id={self.last_id}" if self.seen else ""
        self.ws = await asyncio.wait_for(
            connect(
                f"ws://127.0.0.1:{self.port}/ws/rooms/{self.site.room}/{query}",
                origin=ORIGIN,  # type: ignore[arg-type]
                additional_headers={"Cookie": f"sessionid={self.site.keys[self.who]}"},
                open_timeout=WAIT,
            ),
            WAIT,
        )
        self.state = await self.wait_for("state")
        caught_up = [m["id"] for m in self.state["chat"]]
        for message in self.state["chat"]:
            self.seen[message["id"]] = message["html"]
        return caught_up

    async def connect_with_backoff(self, within: float = WAIT * 2) -> list[int]:
        deadline = time.monotonic() + within
        delay = 0.1
        while True:
            try:
                return await self.connect()
            except (OSError, InvalidStatus, ConnectionClosed, TimeoutError):
                if time.monotonic() + delay > deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def send(self, content: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(content))

    async def wait_for(self, kind: str, **match: Any) -> dict[str, Any]:
        assert self.ws is not None
        deadline = time.monotonic() + WAIT
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.monotonic()))
            event: dict[str, Any] = json.loads(frame)
            if event["type"] == "chat":
                self.seen[event["id"]] = event["html"]
            if event["type"] == kind and all(event.get(k) == v for k, v in match.items()):
                return event

    async def chat(self, body: str) -> None:
        await self.send({"type": "chat", "body": body})

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


@pytest.fixture
async def clients(site: Site, stack: Stack) -> AsyncIterator[tuple[Client, Client]]:
    """The tutor on process A, the learner on process B."""
    tutor = Client(site, stack.ports[0], "tutor")
    learner = Client(site, stack.ports[1], "learner")
    try:
        yield tutor, learner
    finally:
        for client in (tutor, learner):
            await client.close()


def upload_file(site: Site, port: int, who: str) -> int:
    """Share a file over HTTP, as the room page does (multipart, session cookie, CSRF)."""
    boundary = uuid.uuid4().hex
    token = uuid.uuid4().hex  # any 32-character secret, the same in the cookie and the header
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="board.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF_BYTES
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.request(
            "POST",
            f"/rooms/{site.room}/files/",
            body,
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Cookie": f"sessionid={site.keys[who]}; csrftoken={token}",
                "X-CSRFToken": token,
                "Origin": f"http://127.0.0.1:{port}",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class TestTwoProcesses:
    async def test_a_message_sent_to_one_process_reaches_a_client_of_the_other(  # type: ignore[no-untyped-def]
        self, site, clients
    ) -> None:
        tutor, learner = clients
        await tutor.connect()
        await learner.connect()
        joined = await tutor.wait_for("peer.joined")
        assert joined["peer"] == learner.state["peer_id"]

        await tutor.chat("hello from process A")
        event = await learner.wait_for("chat", html="<p>hello from process A</p>\n")
        assert event["author"]["name"] == "Tara"
        await learner.chat("and back from B")
        await tutor.wait_for("chat", html="<p>and back from B</p>\n")

        # Signaling crosses processes too, addressed to the peer's channel on the other one.
        offer = {"description": {"type": "offer", "sdp": "v=0"}}
        await tutor.send({"type": "signal", "to": learner.state["peer_id"], "data": offer})
        assert (await learner.wait_for("signal"))["data"] == offer
        await learner.send({"type": "typing"})
        await tutor.wait_for("typing")

        stored = dict(site.stored_chat())
        assert set(tutor.seen) <= set(stored) and set(learner.seen) <= set(stored)
        assert event["id"] in stored

    async def test_with_redis_stopped_and_restarted_no_stored_message_is_lost(  # type: ignore[no-untyped-def]
        self, site, stack, clients
    ) -> None:
        tutor, learner = clients
        await tutor.connect()
        await learner.connect()
        await tutor.wait_for("peer.joined")
        await tutor.chat("before the outage (A)")
        await learner.wait_for("chat", html="<p>before the outage (A)</p>\n")
        await learner.chat("before the outage (B)")
        await tutor.wait_for("chat", html="<p>before the outage (B)</p>\n")
        before = {i for i, _ in site.stored_chat()}

        stack.redis.stop()
        # Each client tries to talk while Redis is down. The socket may already be gone (the
        # consumer's channel-layer receive fails and uvicorn drops the connection) or the
        # message may be stored without reaching anyone live; both are allowed.
        for client, body in ((tutor, "during the outage (A)"), (learner, "during the outage (B)")):
            try:
                await client.chat(body)
                await asyncio.wait_for(client.wait_for("chat", html=f"<p>{body}</p>\n"), 1.0)
            except (ConnectionClosed, TimeoutError):
                pass
        # Over HTTP the write path does not need Redis at all: the shared file is stored and
        # announced in the chat (the live announcement is what is lost for now).
        assert upload_file(site, stack.ports[0], "learner") == 201
        assert upload_file(site, stack.ports[1], "tutor") == 201
        during = {i for i, _ in site.stored_chat()} - before
        assert len(during) >= 2

        stack.redis.start()  # same port, empty: no groups, no queued messages
        for client in (tutor, learner):
            await client.close()
            last_seen = client.last_id
            caught_up = await client.connect_with_backoff()
            expected = [i for i, _ in site.stored_chat() if i > last_seen]
            assert caught_up == expected, f"{client.who} resumed after {last_seen}"

        await tutor.wait_for("peer.joined")
        for sender, body in ((tutor, "after the restart (A)"), (learner, "after the restart (B)")):
            await sender.chat(body)
            for client in (tutor, learner):  # live again, across processes, to both
                await client.wait_for("chat", html=f"<p>{body}</p>\n")

        everything = {i for i, _ in site.stored_chat()}
        assert set(tutor.seen) == everything
        assert set(learner.seen) == everything
        assert during <= everything
