"""Live rooms over WebSockets on the production topology, as ratios to a bare websockets server.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/<any> REDIS_URL=redis://127.0.0.1:6379/<db> \\
     .venv/bin/python bench/ws.py [--clients 1000] [--big-rooms 2] [--seconds 12]
     [--ramp 2000,3000] [--layer pubsub|core] [--port 28100]

The app runs as ``deploy/prod.py up`` starts it (``make prod``): nginx in front of 2 web units
(granian WSGI for HTTP, uvicorn ASGI for /ws/), on PostgreSQL (a database of its own, created
and dropped here, named after DATABASE_URL's with a ``_bench`` suffix) and Redis (REDIS_URL);
no task workers. Every client is a real WebSocket client with a session cookie and an allowed
Origin, going through the origin check, session auth, the participant check and the room
consumer, and sending real chat messages (stored, acknowledged, broadcast after commit).

Scenarios (each client sends one chat message every ``--interval`` seconds, at its own offset,
for ``--seconds``; the send time rides in the message, so every receipt gives a latency):

- pairs/nginx: ``--clients`` clients in rooms of two, all through nginx;
- pairs/split: the same, the two members of each room connected to different web processes;
- rooms of 51/nginx: ``--big-rooms`` full group rooms (a tutor and 50 learners);
- ramp/nginx: rooms of two at each size of ``--ramp``, to find where delivery breaks.

Printed per scenario: % of (message × recipient) delivered live, p50/p99 latency, sockets the
server dropped, errors (error events and exceptions in the servers' logs), messages sent,
acknowledged and stored (and stored twice: must be 0). The baseline is a bare ``websockets``
server relaying each frame to every member of the sender's room, measured in the same run with
the same clients; latencies are also printed as ratios to it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# Run as a script, this folder comes first on sys.path, and its http.py (the HTTP benchmark)
# would shadow the standard library's http module that websockets imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidHandshake  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "http://localhost"
CONNECT_CONCURRENCY = 50
DRAIN_SECONDS = 3.0  # after the last send, how long in-flight messages may still arrive
MARK = "bench"
STAMP = re.compile(r"bench (\d+) (\d+) ([0-9.]+)")


# --- the baseline server ---------------------------------------------------------------------


def serve_bare(port: int) -> None:
    """Rooms by path (/room/<n>/): every chat frame goes to every member, as the app's
    broadcast does; the sender also gets an ack."""
    from websockets.asyncio.server import ServerConnection, serve

    rooms: dict[str, set[ServerConnection]] = {}
    ids = iter(range(1, 10**9))

    async def handler(ws: ServerConnection) -> None:
        key = ws.request.path if ws.request is not None else "/"
        members = rooms.setdefault(key, set())
        members.add(ws)
        try:
            async for frame in ws:
                event = json.loads(frame)
                stored = next(ids)
                await ws.send(json.dumps({"type": "ack", "client_id": event["client_id"]}))
                out = json.dumps({"type": "chat", "id": stored, "html": f"<p>{event['body']}</p>"})
                for other in list(members):
                    with contextlib.suppress(ConnectionClosed):
                        await other.send(out)
        finally:
            members.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None):
            await asyncio.Future()

    run(main())


# --- the app's data --------------------------------------------------------------------------


def make_site(pairs: int, big_rooms: int) -> None:
    """``pairs`` one-to-one bookings and ``big_rooms`` group bookings of 51 (join windows
    open), their rooms, a session per user; prints [[room, [key, ...]], ...]."""
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

    sizes = [2] * pairs + [51] * big_rooms
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.org", password=unusable) for i in range(sum(sizes))
    )
    Profile.objects.bulk_create(Profile(user=u, display_name=f"Bench {u.pk}") for u in users)
    subject = make_subject("Bench")
    starts = timezone.now() - timedelta(minutes=5)
    ends = starts + timedelta(hours=3)
    members: list[list[User]] = []
    at = 0
    for size in sizes:
        members.append(users[at : at + size])
        at += size
    bookings = Booking.objects.bulk_create(
        Booking(
            kind=Booking.Kind.ONE_TO_ONE if len(group) == 2 else Booking.Kind.GROUP,
            capacity=len(group) - 1,
            tutor=group[0],
            subject=subject,
            starts_at=starts,
            ends_at=ends,
            status=Booking.Status.CONFIRMED,
            created_by=group[1],
        )
        for group in members
    )
    TimeClaim.objects.bulk_create(
        TimeClaim(
            booking=booking,
            user=user,
            role="tutor" if r == 0 else "learner",
            starts_at=starts,
            ends_at=ends,
        )
        for booking, group in zip(bookings, members, strict=True)
        for r, user in enumerate(group)
    )
    rooms = Room.objects.bulk_create(Room(booking=b) for b in bookings)
    store = SessionStore()
    keys = {u.pk: get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789") for u in users}
    Session.objects.bulk_create(
        Session(
            session_key=keys[user.pk],
            session_data=store.encode(
                {
                    "_auth_user_id": str(user.pk),
                    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                    "_auth_user_hash": user.get_session_auth_hash(),
                }
            ),
            expire_date=ends,
        )
        for user in users
    )
    print(
        json.dumps(
            [
                [room.pk, [keys[u.pk] for u in group]]
                for room, group in zip(rooms, members, strict=True)
            ]
        )
    )


# --- processes -------------------------------------------------------------------------------


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


def psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", admin_url, "-q", "-c", sql], check=True, capture_output=True)


def with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


@dataclass
class Target:
    """Where clients connect: the app (through nginx, or straight to one web process) or bare."""

    kind: str
    urls: list[str]  # ws://host:port; a room's members are spread over these in turn

    def url(self, room: int, member: int) -> str:
        base = self.urls[member % len(self.urls)]
        if self.kind == "bare":
            return f"{base}/room/{room}/"
        return f"{base}/ws/rooms/{room}/"


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Result:
    clients: int = 0
    connected: int = 0
    sent: int = 0
    acked: int = 0
    expected: int = 0
    received: int = 0
    latencies: list[float] = field(default_factory=list)
    dropped: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    stored: int = -1
    stored_twice: int = -1
    connect_seconds: float = 0.0

    @property
    def delivered(self) -> float:
        return 100.0 * self.received / self.expected if self.expected else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@dataclass
class Client:
    index: int
    room: int  # index into the scenario's rooms
    member: int
    size: int  # members in the room (all receive each message, the sender too)
    ws: ClientConnection | None = None
    closed: bool = False


async def run_scenario(
    target: Target, rooms: list[list[Any]], seconds: float, interval: float, tag: int
) -> Result:
    result = Result()
    clients: list[Client] = []
    for r, (_, keys) in enumerate(rooms):
        for m in range(len(keys)):
            clients.append(Client(len(clients), r, m, len(keys)))
    result.clients = len(clients)
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def open_one(client: Client) -> None:
        room_id, keys = rooms[client.room]
        async with limit:
            for delay in (0.2, 0.5, 1.0, None):
                try:
                    ws = await connect(
                        target.url(room_id, client.member),
                        origin=ORIGIN,  # type: ignore[arg-type]
                        additional_headers={"Cookie": f"sessionid={keys[client.member]}"},
                        ping_interval=None,
                        open_timeout=60,
                        max_queue=None,
                    )
                    if target.kind != "bare":
                        while json.loads(await ws.recv())["type"] != "state":
                            pass
                    client.ws = ws
                    return
                except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
                    if delay is None:
                        client.closed = True
                        return
                    await asyncio.sleep(delay)

    began = time.perf_counter()
    await asyncio.gather(*(open_one(c) for c in clients))
    result.connect_seconds = time.perf_counter() - began
    result.connected = sum(c.ws is not None for c in clients)
    await asyncio.sleep(1.0)  # presence settles

    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5
    rng = random.Random(7)
    sends = int(seconds / interval)

    async def sender(client: Client) -> None:
        offset = rng.random() * interval
        for k in range(sends):
            await asyncio.sleep(max(0.0, start + offset + k * interval - loop.time()))
            if client.ws is None or client.closed:
                continue  # never delivered: the delivery ratio shows it
            body = f"{MARK} {client.index} {k} {time.perf_counter():.6f}"
            frame = {"type": "chat", "body": body, "client_id": f"{tag}-{client.index}-{k}"}
            try:
                await client.ws.send(json.dumps(frame))
            except ConnectionClosed:
                client.closed = True
                continue
            result.sent += 1
            result.expected += client.size

    async def receiver(client: Client) -> None:
        if client.ws is None:
            return
        try:
            async for frame in client.ws:
                now = time.perf_counter()
                event = json.loads(frame)
                kind = event.get("type")
                if kind == "chat":
                    match = STAMP.search(event.get("html", ""))
                    if match:
                        result.latencies.append(now - float(match.group(3)))
                        result.received += 1
                elif kind == "ack":
                    result.acked += 1
                elif kind == "error":
                    result.errors[f"error event: {event.get('code')}"] += 1
        except ConnectionClosed:
            pass
        client.closed = True

    receivers = [asyncio.create_task(receiver(c)) for c in clients]
    await asyncio.gather(*(sender(c) for c in clients))
    await asyncio.sleep(DRAIN_SECONDS)
    result.dropped = sum(c.closed and c.ws is not None for c in clients)
    for task in receivers:
        task.cancel()
    await asyncio.gather(*receivers, return_exceptions=True)
    await asyncio.gather(*(c.ws.close() for c in clients if c.ws), return_exceptions=True)
    result.dropped += sum(c.ws is None for c in clients)  # never got in
    return result


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


def log_errors(run_dir: Path) -> Counter[str]:
    """Exceptions and channel-layer failures the web processes logged (JSON or plain lines)."""
    counts: Counter[str] = Counter()
    for log in (run_dir / "logs").glob("ws-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            text = line
            if line.startswith("{"):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if record.get("level") not in ("ERROR", "CRITICAL", "WARNING"):
                    continue
                text = str(record.get("message", ""))[:90]
            elif not re.match(r"^[\w.]+(Error|Exception): ", line):
                continue
            counts[f"log: {text[:90]}"] += 1
    return counts


def count_stored(db_url: str, tag: int) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT client_id) FROM live_chatmessage "
            "WHERE client_id LIKE %s",
            (f"{tag}-%",),
        ).fetchone()
    assert row is not None
    return int(row[1]), int(row[0]) - int(row[1])


def fmt_ratio(value: float, base: float) -> str:
    return f"{value / base:.1f}" if base and base == base and value == value else "-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000, help="clients in rooms of two")
    parser.add_argument("--big-rooms", type=int, default=2, help="full rooms of 51")
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--interval", type=float, default=4, help="seconds between messages")
    parser.add_argument("--ramp", default="2000,3000", help="more sizes (rooms of two)")
    parser.add_argument("--layer", default="pubsub", choices=["pubsub", "core"])
    parser.add_argument("--port", type=int, default=28100, help="nginx; +1..+499 are used too")
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--make-site", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if args.make_site:
        pairs, big = (int(x) for x in args.make_site.split(","))
        make_site(pairs, big)
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        sys.exit("bench/ws.py needs DATABASE_URL (PostgreSQL) and REDIS_URL: see its docstring")

    ramp = [int(n) for n in args.ramp.split(",") if n]
    most = max([args.clients, *ramp])
    raise_fd_limit(4 * (most + 51 * args.big_rooms) + 1024)  # inherited by nginx and the servers
    base_url = os.environ["DATABASE_URL"]
    db_name = urlsplit(base_url).path.lstrip("/") + "_bench"
    db_url = with_db(base_url, db_name)
    admin = with_db(base_url, "postgres")
    tmp = Path(tempfile.mkdtemp(prefix="bench-ws-"))
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "CHANNEL_LAYER": args.layer,
        "PROD_RUN_DIR": str(tmp / "prod"),
        "PROD_PORT": str(args.port),
        "PROD_SEED": "0",
        "WORKERS": "0",
        # 8 threads (and pooled connections) per WebSocket process, 2 per HTTP process: 2 × 10
        # + 2 = 22 PostgreSQL connections; socket writes wait on the database, not on CPU.
        "PROD_WS_THREADS": "8",
        "PROD_HTTP_THREADS": "2",
        "LOG_FORMAT": "json",
        "PEERLEARN_VAR_DIR": str(tmp / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
    }
    bare_port = args.port + 97
    bare: subprocess.Popen[bytes] | None = None
    prod = [sys.executable, str(ROOT / "deploy" / "prod.py")]
    began = time.perf_counter()
    try:
        psql(admin, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        psql(admin, f'CREATE DATABASE "{db_name}"')
        subprocess.run([*prod, "up"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        pairs = most // 2
        out = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--make-site",
                f"{pairs},{args.big_rooms}",
            ],
            cwd=ROOT,
            # The servers' SECRET_KEY (deploy/prod.py made it): sessions are signed with it.
            env={
                **env,
                "DB_POOL_MAX": "0",
                "SECRET_KEY": (tmp / "prod" / "secret_key").read_text(),
            },
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        all_rooms: list[list[Any]] = json.loads(out.stdout.strip().splitlines()[-1])
        pair_rooms, big_rooms = all_rooms[:pairs], all_rooms[pairs:]
        bare = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve-bare", str(bare_port)],
            cwd=ROOT,
        )
        wait_for_port(bare_port, bare, "bare server")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"set-up: make prod topology (2 web units, {args.layer} channel layer), "
            f"{len(all_rooms)} rooms in {time.perf_counter() - began:.0f} s; "
            f"{args.seconds:.0f} s per scenario, one message per client every "
            f"{args.interval:.0f} s; load average {load}"
        )
        nginx = Target("app", [f"ws://127.0.0.1:{args.port}"])
        ws_ports = [args.port + 51, args.port + 52]  # deploy/prod.py's ws_ports
        split = Target("app", [f"ws://127.0.0.1:{p}" for p in ws_ports])
        bare_target = Target("bare", [f"ws://127.0.0.1:{bare_port}"])
        scenarios: list[tuple[str, Target, list[list[Any]]]] = []
        first = pair_rooms[: args.clients // 2]
        scenarios += [
            ("pairs/bare", bare_target, first),
            ("pairs/nginx", nginx, first),
            ("pairs/split", split, first),
        ]
        if big_rooms:
            scenarios += [("51-rooms/bare", bare_target, big_rooms)]
            scenarios += [("51-rooms/nginx", nginx, big_rooms)]
        for n in ramp:
            scenarios += [(f"ramp {n}/bare", bare_target, pair_rooms[: n // 2])]
            scenarios += [(f"ramp {n}/nginx", nginx, pair_rooms[: n // 2])]
        results: dict[str, Result] = {}
        for tag, (name, target, rooms) in enumerate(scenarios, start=1):
            t = time.perf_counter()
            result = run(run_scenario(target, rooms, args.seconds, args.interval, tag))
            if target.kind == "app":
                result.stored, result.stored_twice = count_stored(db_url, tag)
            results[name] = result
            progress(f"{name}: {result.clients} clients, {time.perf_counter() - t:.0f} s")
        server_errors = log_errors(tmp / "prod")

        print()
        print(
            f"{'scenario':16} {'clients':>7} {'sent':>6} {'acked':>6} {'stored':>6} {'twice':>5} "
            f"{'live %':>7} {'p50 ms':>8} {'p99 ms':>8} {'p50 ×bare':>9} {'p99 ×bare':>9} "
            f"{'dropped':>7} {'errors':>6} {'connect s':>9}"
        )
        for name, r in results.items():
            base = results.get(name.split("/")[0] + "/bare")
            p50, p99 = r.percentile(0.5), r.percentile(0.99)
            stored = "-" if r.stored < 0 else str(r.stored)
            twice = "-" if r.stored_twice < 0 else str(r.stored_twice)
            print(
                f"{name:16} {r.clients:7d} {r.sent:6d} {r.acked:6d} {stored:>6} {twice:>5} "
                f"{r.delivered:7.2f} {p50:8.1f} {p99:8.1f} "
                f"{fmt_ratio(p50, base.percentile(0.5)) if base else '-':>9} "
                f"{fmt_ratio(p99, base.percentile(0.99)) if base else '-':>9} "
                f"{r.dropped:7d} {sum(r.errors.values()):6d} {r.connect_seconds:9.1f}"
            )
        for name, r in results.items():
            for line, count in r.errors.most_common(5):
                print(f"{name}: {count} × {line}")
        for line, count in server_errors.most_common(10):
            print(f"servers: {count} × {line}")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\ntotal {time.perf_counter() - began:.0f} s; load average at the end: {load}")
    finally:
        if bare is not None:
            bare.terminate()
            bare.wait(timeout=10)
        subprocess.run([*prod, "down"], cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)
        with contextlib.suppress(subprocess.CalledProcessError):
            psql(admin, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
