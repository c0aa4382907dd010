"""Two real ASGI server processes (uvicorn) sharing a Redis channel layer and one database.

Each test starts its own ``redis-server`` on a free loopback port (never the machine's shared
one, which this test stops and restarts) and two uvicorn processes on ``config.asgi:application``
over a throwaway SQLite file. Clients are real WebSocket clients (``websockets``) sending the
session cookie and an allowed ``Origin``, as a browser does.

What is checked: a message sent to process A reaches a client of process B; with Redis stopped
and restarted mid-conversation no socket closes, every message sent is acknowledged and stored
once, and the clients are told to resync and catch up exactly what they missed; with a web
process killed, its clients reconnect to the other one and miss nothing (a message whose ack was
lost with the process is resent and stored once) — the database is the source of truth, Redis
only carries news.
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

import django

django.setup()
from django.conf import settings
from django.test import Client

from peerlearn.common.testing import make_booking, make_tutor, make_user
from peerlearn.live.selectors import room_for_booking

settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
tutor = make_tutor("tutor@example.org", display_name="Tara")
learner = make_user("learner@example.org", display_name="Lee")
booking = make_booking(tutor, [learner], minutes=125)
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
    servers: list[subprocess.Popen[bytes]]


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
        yield Stack(redis, ports, servers)
    finally:
        for proc in servers:
            stop(proc)
        redis.stop()


class Client:
    """One participant's room socket, as the browser keeps it: every chat message id seen, the
    end of the unbroken ``prev`` chain (where a reconnect resumes), and the messages sent but
    not yet acknowledged."""

    def __init__(self, site: Site, port: int, who: str) -> None:
        self.site, self.port, self.who = site, port, who
        self.ws: ClientConnection | None = None
        self.seen: dict[int, str] = {}
        self.cursor = 0
        self.ahead: dict[int, int] = {}
        self.state: dict[str, Any] = {}
        self.pending: dict[str, str] = {}  # client id → body
        self.acked: dict[str, int] = {}
        self.events: list[dict[str, Any]] = []

    def see(self, message: dict[str, Any]) -> None:
        self.seen[message["id"]] = message["html"]
        if message["id"] > self.cursor:
            self.ahead[message["prev"]] = message["id"]
        while self.cursor in self.ahead:
            self.cursor = self.ahead.pop(self.cursor)

    async def connect(self) -> list[int]:
        """Open the socket (resuming after the cursor); the ids the state and pages caught up."""
        self.ws = await asyncio.wait_for(
            connect(
                f"ws://127.0.0.1:{self.port}/ws/rooms/{self.site.room}/?last_id={self.cursor}",
                origin=ORIGIN,  # type: ignore[arg-type]
                additional_headers={"Cookie": f"sessionid={self.site.keys[self.who]}"},
                open_timeout=WAIT,
            ),
            WAIT,
        )
        self.state = await self.wait_for("state")
        return await self.caught_up(self.state["chat"], more=self.state["chat_more"])

    async def caught_up(self, first: list[dict[str, Any]], *, more: bool) -> list[int]:
        ids = [m["id"] for m in first]
        while more:
            page = await self.wait_for("chat.page")
            ids += [m["id"] for m in page["chat"]]
            more = page["more"]
        for client_id, body in list(self.pending.items()):  # resend until acknowledged
            await self.send({"type": "chat", "body": body, "client_id": client_id})
        return ids

    async def resync(self) -> list[int]:
        await self.send({"type": "resync", "last_id": self.cursor})
        state = await self.wait_for("state", resync=True)
        return await self.caught_up(state["chat"], more=state["chat_more"])

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
            self.events.append(event)
            if event["type"] == "chat":
                self.see(event)
            elif event["type"] in ("state", "chat.page"):
                for message in event["chat"]:
                    self.see(message)
            elif event["type"] == "ack":
                self.pending.pop(event["client_id"], None)
                self.acked[event["client_id"]] = event["id"]
            if event["type"] == kind and all(event.get(k) == v for k, v in match.items()):
                return event

    async def chat(self, body: str) -> str:
        """Send a chat message (kept until acknowledged); its client id."""
        client_id = uuid.uuid4().hex
        self.pending[client_id] = body
        await self.send({"type": "chat", "body": body, "client_id": client_id})
        return client_id

    async def chat_acked(self, body: str) -> int:
        client_id = await self.chat(body)
        return int((await self.wait_for("ack", client_id=client_id))["id"])

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


async def connect_both(tutor: Client, learner: Client) -> dict[str, Any]:
    """Both clients connected; the tutor's notice that the learner joined."""
    await tutor.connect()
    await learner.connect()
    return await tutor.wait_for("peer.joined")


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
    async def test_a_message_sent_to_one_process_reaches_a_client_of_the_other(
        self, site, clients
    ) -> None:
        tutor, learner = clients
        joined = await connect_both(tutor, learner)
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

    async def test_with_redis_stopped_and_restarted_no_socket_closes_and_nothing_is_lost(
        self, site, stack, clients
    ) -> None:
        tutor, learner = clients
        await connect_both(tutor, learner)
        await tutor.chat_acked("before the outage (A)")
        await learner.wait_for("chat", html="<p>before the outage (A)</p>\n")
        before = {i for i, _ in site.stored_chat()}

        stack.redis.stop()
        # Redis is gone: every message is still stored and acknowledged (the database is the
        # truth), no socket closes; only the live delivery to the other process is lost.
        during = set()
        for client, body in ((tutor, "during the outage (A)"), (learner, "during the outage (B)")):
            during.add(await client.chat_acked(body))
        assert upload_file(site, stack.ports[0], "learner") == 201  # HTTP needs no Redis either
        stored_during = {i for i, _ in site.stored_chat()} - before
        assert during < stored_during and len(stored_during) == 3
        await asyncio.sleep(1.5)  # the layer probe notices (it runs every second)

        stack.redis.start()  # same port, empty: no groups, no queued messages
        for client in (tutor, learner):
            # Each server's probe sees the layer work again and tells its sockets to resync.
            await asyncio.wait_for(client.wait_for("resync"), WAIT * 2)
            last = client.cursor
            caught_up = await client.resync()
            expected = [i for i, _ in site.stored_chat() if i > last]
            assert caught_up == expected, f"{client.who} resumed after {last}"

        for sender, body in ((tutor, "after the restart (A)"), (learner, "after the restart (B)")):
            await sender.chat(body)
            for client in (tutor, learner):  # live again, across processes, to both
                await client.wait_for("chat", html=f"<p>{body}</p>\n")

        everything = {i for i, _ in site.stored_chat()}
        assert set(tutor.seen) == everything and set(learner.seen) == everything
        assert tutor.cursor == learner.cursor == max(everything)
        assert not any(e["type"] == "error" for e in tutor.events + learner.events)

    async def test_with_a_web_process_killed_its_clients_move_to_the_other_and_miss_nothing(
        self, site, stack, clients
    ) -> None:
        tutor, learner = clients
        await connect_both(tutor, learner)
        await tutor.chat_acked("hello from A")
        await learner.wait_for("chat", html="<p>hello from A</p>\n")

        # The tutor sends and process A dies at once: stored or not, the ack is lost with it.
        await tutor.chat("sent as A dies")
        stack.servers[0].kill()
        stack.servers[0].wait(timeout=WAIT)
        with pytest.raises(ConnectionClosed):
            await tutor.wait_for("never")
        sent_meanwhile = [await learner.chat_acked(f"while A is down {n}") for n in range(3)]

        tutor.port = stack.ports[1]  # nginx would route the reconnect to the live process
        last = tutor.cursor
        caught_up = await tutor.connect_with_backoff()
        assert caught_up == [i for i, _ in site.stored_chat() if i > last]
        assert set(sent_meanwhile) <= set(caught_up)
        await tutor.wait_for("ack")  # the resend of the unacknowledged message
        assert not tutor.pending
        bodies = [b for _, b in site.stored_chat()]
        assert bodies.count("sent as A dies") == 1  # stored once, whether A had stored it or not
        if "<p>sent as A dies</p>\n" not in learner.seen.values():  # A may have sent it live
            await learner.wait_for("chat", html="<p>sent as A dies</p>\n")
        await learner.chat("after the move")
        await tutor.wait_for("chat", html="<p>after the move</p>\n")
        everything = {i for i, _ in site.stored_chat()}
        assert set(tutor.seen) == everything and tutor.cursor == max(everything)
