"""Live rooms over WebSockets: delivery latency and reach, as ratios to a bare websockets server.

Run: .venv/bin/python bench/ws.py [--sizes 100,500,1000] [--seconds 5] [--chat-sizes 50,100]
     [--layers memory,redis,redis-pool]

N clients in rooms of two; every client sends one message per second (each at its own offset
within the second) for ``--seconds``; the load generator (this process, asyncio + websockets)
measures, per delivered message, the time from send to receipt, and the reach (received ÷
expected). Three servers, each one process on loopback, started once and given every N:

- bare: a plain ``websockets`` server that relays each frame of a client to the other client of
  its pair (JSON parsed and re-encoded, as the app does). The baseline.
- memory: the app (``config.asgi:application`` under uvicorn, one worker, DEBUG off) with the
  in-memory channel layer.
- redis: the same with ``REDIS_URL`` set: a private ``redis-server`` on a free port.

The app is exercised through its real stack: origin check, session auth from a cookie, the
participant check, the room consumer. Its set-up is a throwaway SQLite database with users,
confirmed bookings, rooms and sessions created in bulk. The relay path is measured with
``typing`` events, which go through the room group like chat but write nothing (a chat message is
a write transaction, and on SQLite the writes would be what is measured); typing events carry no
payload, so a receipt is matched to its send by order (each peer's events arrive in the order
sent). Stored chat is measured separately, for smaller N: messages stored and delivered to both
participants per second, the send time riding in the message text.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Run as a script, this folder comes first on sys.path, and its http.py (the HTTP benchmark)
# would shadow the standard library's http module that websockets imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidHandshake  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ORIGIN = "http://localhost"
CONNECT_CONCURRENCY = 64
# redis-py (8.x) gives each process a pool of 100 connections and raises, rather than waits,
# when all are busy; the "redis-pool" layer shows the same app with a bigger pool.
REDIS_POOL_SIZE = 2000
DRAIN_SECONDS = 2.0  # after the last send, how long in-flight messages may still arrive


# --- the baseline server -----------------------------------------------------------------------


def serve_bare(port: int) -> None:
    """Pairs by path (/pair/<n>/): every frame from one client goes to the other."""
    from websockets.asyncio.server import ServerConnection, serve

    pairs: dict[str, set[ServerConnection]] = {}

    async def handler(ws: ServerConnection) -> None:
        key = ws.request.path if ws.request is not None else "/"
        members = pairs.setdefault(key, set())
        members.add(ws)
        try:
            async for frame in ws:
                event = json.loads(frame)
                out = json.dumps({"type": event.get("type"), "user": {"id": 0, "name": "bare"}})
                for other in list(members):
                    if other is not ws:
                        await other.send(out)
        finally:
            members.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None):
            await asyncio.Future()

    run(main())


# --- the app's data --------------------------------------------------------------------------


def make_site(pairs: int) -> None:
    """Create ``pairs`` bookings (two users each, join window open), their rooms and a session
    per user in the database the environment points at; print [[room, key, key], ...]."""
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from peerlearn.accounts.models import Profile, User
    from peerlearn.common.testing import make_subject
    from peerlearn.live.models import Room
    from peerlearn.scheduling.models import Booking, TimeClaim

    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.org", password=unusable) for i in range(2 * pairs)
    )
    Profile.objects.bulk_create(Profile(user=u, display_name=f"Bench {u.pk}") for u in users)
    subject = make_subject("Bench")
    starts = timezone.now() - timedelta(minutes=5)
    ends = starts + timedelta(hours=3)
    bookings = Booking.objects.bulk_create(
        Booking(
            tutor=users[2 * i],
            subject=subject,
            starts_at=starts,
            ends_at=ends,
            status=Booking.Status.CONFIRMED,
            created_by=users[2 * i + 1],
        )
        for i in range(pairs)
    )
    TimeClaim.objects.bulk_create(
        TimeClaim(
            booking=b,
            user=users[2 * i + r],
            role=("tutor", "learner")[r],
            starts_at=starts,
            ends_at=ends,
        )
        for i, b in enumerate(bookings)
        for r in (0, 1)
    )
    rooms = Room.objects.bulk_create(Room(booking=b) for b in bookings)
    store = SessionStore()
    keys = [get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789") for _ in users]
    Session.objects.bulk_create(
        Session(
            session_key=key,
            session_data=store.encode(
                {
                    "_auth_user_id": str(user.pk),
                    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                    "_auth_user_hash": user.get_session_auth_hash(),
                }
            ),
            expire_date=ends,
        )
        for user, key in zip(users, keys, strict=True)
    )
    print(json.dumps([[room.pk, keys[2 * i], keys[2 * i + 1]] for i, room in enumerate(rooms)]))


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Server:
    kind: str
    port: int
    log: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def errors(self) -> dict[str, int]:
        """Unhandled exceptions in the server's log, by exception line."""
        counts: dict[str, int] = {}
        if self.log.exists():
            for line in self.log.read_text(errors="replace").splitlines():
                if re.match(r"^[\w.]+(Error|Exception): ", line):
                    counts[line] = counts.get(line, 0) + 1
        return counts

    def url(self, pair: list[Any], member: int) -> str:
        if self.kind == "bare":
            return f"ws://127.0.0.1:{self.port}/pair/{pair[0]}/"
        return f"ws://127.0.0.1:{self.port}/ws/rooms/{pair[0]}/"

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)


def start_server(kind: str, env: dict[str, str], tmp: Path) -> Server:
    port = free_port()
    server = Server(kind, port, tmp / f"{kind}.log")
    log = server.log.open("ab")
    if kind == "bare":
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-bare", str(port)]
        server.procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=log))
        wait_for_port(port, server.procs[-1], "bare server")
        return server
    app_env = dict(env)
    if kind.startswith("redis"):
        redis_port = free_port()
        redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp),
            ],
            stdout=subprocess.DEVNULL,
        )
        server.procs.append(redis)
        wait_for_port(redis_port, redis, "redis-server")
        app_env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        if kind == "redis-pool":  # the same, with a bigger connection pool per process
            app_env["REDIS_URL"] += f"?max_connections={REDIS_POOL_SIZE}"
    cmd = [
        str(VENV_BIN / "uvicorn"),
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server.procs.append(subprocess.Popen(cmd, cwd=ROOT, env=app_env, stderr=log))
    wait_for_port(port, server.procs[-1], "uvicorn")
    return server


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Result:
    sent: int = 0
    expected: int = 0
    received: int = 0
    latencies: list[float] = field(default_factory=list)
    connect_seconds: float = 0.0
    stored: int = 0
    dropped: int = 0  # connections the server closed during the run

    @property
    def reach(self) -> float:
        return self.received / self.expected if self.expected else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@dataclass
class Peer:
    ws: ClientConnection | None  # None: it could not connect
    index: int
    sent_at: deque[float] = field(default_factory=deque)  # typing: send times, in order
    closed: bool = False  # refused, or dropped by the server during the run


async def open_clients(server: Server, pairs: list[list[Any]]) -> list[Peer]:
    """Connect two clients per pair (a few at a time, retrying a refused handshake like a
    browser's reconnect would); app clients are ready once they have the room's state."""
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def attempt(index: int) -> ClientConnection:
        pair = pairs[index // 2]
        ws = await connect(
            server.url(pair, index % 2),
            origin=ORIGIN,  # type: ignore[arg-type]
            additional_headers={"Cookie": f"sessionid={pair[1 + index % 2]}"},
            ping_interval=None,
            open_timeout=60,
            max_queue=None,
        )
        if server.kind != "bare":
            while json.loads(await ws.recv())["type"] != "state":
                pass
        return ws

    async def one(index: int) -> Peer:
        async with limit:
            for delay in (0.2, 0.5, 1.0, None):
                try:
                    return Peer(await attempt(index), index)
                except (OSError, InvalidHandshake, ConnectionClosed):
                    if delay is None:
                        break
                    await asyncio.sleep(delay)
        return Peer(None, index, closed=True)

    return list(await asyncio.gather(*(one(i) for i in range(2 * len(pairs)))))


async def close_clients(peers: list[Peer]) -> None:
    await asyncio.gather(*(p.ws.close() for p in peers if p.ws), return_exceptions=True)


async def run_load(
    peers: list[Peer],
    seconds: float,
    make_message: Callable[[Peer, int], str],
    on_frame: Callable[[Peer, dict[str, Any], float], None],
) -> int:
    """Every peer sends ``seconds`` messages, one a second at its own offset; frames received
    go to ``on_frame`` until DRAIN_SECONDS after the last send. Returns how many connections
    the server dropped meanwhile (their unsent messages count as not delivered)."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5
    rng = random.Random(7)

    async def sender(peer: Peer) -> None:
        offset = rng.random()
        for k in range(int(seconds)):
            await asyncio.sleep(max(0.0, start + offset + k - loop.time()))
            if peer.ws is None or peer.closed:
                continue  # never delivered: the reach shows it
            try:
                await peer.ws.send(make_message(peer, k))
            except ConnectionClosed:
                peer.closed = True

    async def receiver(peer: Peer) -> None:
        if peer.ws is None:
            return
        try:
            async for frame in peer.ws:
                on_frame(peer, json.loads(frame), time.perf_counter())
        except ConnectionClosed:
            pass
        peer.closed = True

    receivers = [asyncio.create_task(receiver(p)) for p in peers]
    await asyncio.gather(*(sender(p) for p in peers))
    await asyncio.sleep(DRAIN_SECONDS)
    for task in receivers:
        task.cancel()
    await asyncio.gather(*receivers, return_exceptions=True)
    return sum(peer.closed for peer in peers)


async def relay(server: Server, pairs: list[list[Any]], seconds: float) -> Result:
    """Typing events (bare: the same frame relayed) between the two peers of each pair."""
    result = Result()
    began = time.perf_counter()
    peers = await open_clients(server, pairs)
    result.connect_seconds = time.perf_counter() - began
    await asyncio.sleep(0.5)  # presence events settle
    message = json.dumps({"type": "typing"})

    def make(peer: Peer, _: int) -> str:
        peer.sent_at.append(time.perf_counter())
        result.sent += 1
        return message

    def on_frame(peer: Peer, event: dict[str, Any], now: float) -> None:
        if event.get("type") != "typing":
            return
        other = peers[peer.index ^ 1]
        if other.sent_at:
            result.latencies.append(now - other.sent_at.popleft())
        result.received += 1

    try:
        result.dropped = await run_load(peers, seconds, make, on_frame)
    finally:
        await close_clients(peers)
    result.expected = len(peers) * int(seconds)  # each typing event has one recipient
    return result


CHAT_STAMP = re.compile(r"<p>(\d+) ([0-9.]+)</p>")


async def chat(server: Server, pairs: list[list[Any]], seconds: float, db: Path) -> Result:
    """Chat messages (stored, then broadcast to both peers): the send time rides in the text."""
    result = Result()
    before = count_chat(db)
    peers = await open_clients(server, pairs)
    await asyncio.sleep(0.5)

    def make(peer: Peer, k: int) -> str:
        result.sent += 1
        return json.dumps({"type": "chat", "body": f"{k} {time.perf_counter():.6f}"})

    def on_frame(peer: Peer, event: dict[str, Any], now: float) -> None:
        if event.get("type") != "chat":
            return
        match = CHAT_STAMP.search(event.get("html", ""))
        if match:
            result.latencies.append(now - float(match.group(2)))
            result.received += 1

    try:
        result.dropped = await run_load(peers, seconds, make, on_frame)
    finally:
        await close_clients(peers)
    result.expected = 2 * len(peers) * int(seconds)  # both participants receive every message
    result.stored = count_chat(db) - before
    return result


def count_chat(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM live_chatmessage").fetchone()[0])


# --- main --------------------------------------------------------------------------------------


def run(coro: Awaitable[Any]) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    return asyncio.run(coro, loop_factory=uvloop.new_event_loop)  # type: ignore[arg-type]


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, needed)) if hard != resource.RLIM_INFINITY else max(soft, needed)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def fmt_ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base and base == base and value == value else "-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,500,1000", help="clients per run (even)")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--chat-sizes", default="50,100", help="clients for stored chat")
    parser.add_argument("--layers", default="memory,redis", help="also: redis-pool")
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--make-site", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if args.make_site:
        make_site(args.make_site)
        return

    sizes = [int(n) for n in args.sizes.split(",") if n]
    chat_sizes = [int(n) for n in args.chat_sizes.split(",") if n]
    layers = [name for name in args.layers.split(",") if name]
    if shutil.which("redis-server") is None and any(x.startswith("redis") for x in layers):
        print("redis-server not found: skipping the Redis layers")
        layers = [x for x in layers if not x.startswith("redis")]
    raise_fd_limit(4 * max(sizes + chat_sizes) + 512)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ws-"))
    (tmp / "staticfiles").mkdir()  # whitenoise warns about a missing STATIC_ROOT otherwise
    db = tmp / "bench.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))},
        "PEERLEARN_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{db}",
        "DEBUG": "0",
        "SECRET_KEY": "bench-ws-" + "x" * 50,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    try:
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        pair_count = max(sizes + chat_sizes) // 2
        out = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--make-site", str(pair_count)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        pairs: list[list[Any]] = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"set-up: {pair_count} rooms, {2 * pair_count} users and sessions in "
            f"{time.perf_counter() - began:.0f} s; {args.seconds:.0f} s of load per run; "
            f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )

        relay_results: dict[tuple[str, int], Result] = {}
        chat_results: dict[tuple[str, int], Result] = {}
        errors: dict[str, dict[str, int]] = {}
        for kind in ["bare", *layers]:
            server = start_server(kind, env, tmp)
            try:
                for n in sizes:
                    t = time.perf_counter()
                    relay_results[kind, n] = run(relay(server, pairs[: n // 2], args.seconds))
                    progress(f"{kind} relay N={n}: {time.perf_counter() - t:.0f} s")
                if kind != "bare":
                    for n in chat_sizes:
                        t = time.perf_counter()
                        chat_results[kind, n] = run(chat(server, pairs[: n // 2], args.seconds, db))
                        progress(f"{kind} chat N={n}: {time.perf_counter() - t:.0f} s")
            finally:
                server.stop()
            errors[kind] = server.errors()

        print()
        print("Relay (typing events, one per client per second)")
        print(
            f"{'server':7} {'N':>5} {'sent':>6} {'reach':>6} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'p50 ×bare':>9} {'p99 ×bare':>9} {'connect s':>9} {'dropped':>7}"
        )
        for n in sizes:
            base = relay_results["bare", n]
            for kind in ["bare", *layers]:
                r = relay_results[kind, n]
                p50, p99 = r.percentile(0.50), r.percentile(0.99)
                print(
                    f"{kind:7} {n:5d} {r.sent:6d} {r.reach:6.3f} {p50:8.2f} {p99:8.2f} "
                    f"{fmt_ratio(p50, base.percentile(0.5)):>9} "
                    f"{fmt_ratio(p99, base.percentile(0.99)):>9} {r.connect_seconds:9.1f} "
                    f"{r.dropped:7d}"
                )
        if chat_results:
            print()
            print("Stored chat (one message per client per second; each delivered to both)")
            print(
                f"{'server':7} {'N':>5} {'sent':>6} {'stored/s':>8} {'reach':>6} "
                f"{'p50 ms':>8} {'p99 ms':>8} {'p50 ×bare':>9}"
            )
            for (kind, n), r in chat_results.items():
                bare = relay_results.get(("bare", n))
                ratio = fmt_ratio(r.percentile(0.5), bare.percentile(0.5)) if bare else "-"
                print(
                    f"{kind:7} {n:5d} {r.sent:6d} {r.stored / args.seconds:8.0f} "
                    f"{r.reach:6.3f} {r.percentile(0.5):8.2f} {r.percentile(0.99):8.2f} "
                    f"{ratio:>9}"
                )
        for kind, counts in errors.items():
            for line, count in sorted(counts.items(), key=lambda item: -item[1]):
                print(f"{kind}: {count} × {line}")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\ntotal {time.perf_counter() - began:.0f} s; load average at the end: {load}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
