"""Smoke test of the production topology: a private copy of `make prod` (deploy/prod.py) with its
own database, Redis, ports and run dir, exercised through nginx as a browser would.

Needs nginx, PostgreSQL (DATABASE_URL: the server the copy's database is created on), a
redis-server binary (a private one is started), coturn and bubblewrap. Asserts behaviour, never
timings; everything it starts is stopped and its database dropped at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from websockets.asyncio.client import ClientConnection, connect

from bench._prod import login, request
from conftest import require
from peerlearn.common.testing import PASSWORD

pytestmark = pytest.mark.prod

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # seconds: the bound on every wait for something that must happen

# A booking whose room is open now, between two new people (run in the copy's database).
ROOM_SCRIPT = """
import json
from peerlearn.common.testing import make_booking, make_tutor, make_user
from peerlearn.live.selectors import room_for_booking
tutor = make_tutor("smoke-tutor@example.org", display_name="Tara")
learner = make_user("smoke-learner@example.org", display_name="Lee")
booking = make_booking(tutor, [learner], minutes=125)
print("ROOM", json.dumps(room_for_booking(booking=booking).pk))
"""


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base() -> int:
    """PROD_PORT for the copy: it uses base..base+99 and base+400..base+499 (deploy/prod.py)."""
    if os.environ.get("PROD_SMOKE_PORT"):
        return int(os.environ["PROD_SMOKE_PORT"])
    for _ in range(50):
        base = random.randrange(20_000, 59_000, 1000)
        if all(port_free(p) for p in (base, base + 1, base + 2, base + 51, base + 52, base + 98)):
            return base
    raise RuntimeError("no free port range for the smoke topology")


def psql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


@dataclass
class Topology:
    base: str
    port: int
    env: dict[str, str]
    run_dir: Path

    @property
    def ws_ports(self) -> list[int]:
        return [self.port + 51, self.port + 52]

    def manage_shell(self, code: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    database_url = os.environ.get("DATABASE_URL", "")
    require(database_url.startswith(("postgres://", "postgresql://")), "PostgreSQL (DATABASE_URL)")
    for tool in ("nginx", "turnserver", "redis-server", "bwrap"):
        found = shutil.which(tool) or (Path("/usr/sbin") / tool).exists()
        require(bool(found), tool)

    # Under the project's var/, not the test's tmp dir: nginx's workers (nobody, when the test
    # runs as root) must be able to reach the static files, and pytest's tmp root is private.
    run_dir = ROOT / "var" / f"smoke-{os.getpid()}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    parsed = urlparse(database_url)
    name = f"{parsed.path.lstrip('/') or 'peerlearn'}_smoke"
    admin_url = parsed._replace(path="/postgres").geturl()
    psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(admin_url, f'CREATE DATABASE "{name}"')

    redis_port = next(
        p for p in iter(lambda: random.randrange(20_000, 60_000), None) if port_free(p)
    )
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(run_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    port = free_base()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PROD_", "DB_POOL"))},
        "DATABASE_URL": parsed._replace(path=f"/{name}").geturl(),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "PROD_PORT": str(port),
        "PROD_RUN_DIR": str(run_dir / "run"),
        "PEERLEARN_VAR_DIR": str(run_dir / "var"),
        "LOG_LEVEL": "WARNING",
    }
    up = None
    try:
        up = subprocess.run(
            [sys.executable, "deploy/prod.py", "up"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert up.returncode == 0, f"prod.py up failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}"
        yield Topology(f"http://localhost:{port}", port, env, run_dir / "run")
    finally:
        subprocess.run(
            [sys.executable, "deploy/prod.py", "down"], cwd=ROOT, env=env, timeout=120, check=False
        )
        redis.terminate()
        redis.wait(timeout=30)
        psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(run_dir, ignore_errors=True)


def test_pages_answer_200_with_debug_off(topology: Topology) -> None:
    for path in ("/", "/tutors/", "/discussions/", "/practice/", "/accounts/login/", "/readyz"):
        status, _, body, _ = request(topology.base, path)
        assert status == 200, f"{path} answered {status}"
    assert b"Server Error" not in body
    _, _, home, _ = request(topology.base, "/")
    stylesheet = next(
        part.split('"')[0] for part in home.decode().split('href="')[1:] if ".css" in part[:200]
    )
    assert stylesheet.startswith("/static/")
    status, _, css, headers = request(topology.base, stylesheet)
    assert status == 200 and len(css) > 100
    assert "immutable" in headers["Cache-Control"]  # served by nginx from STATIC_ROOT
    status, _, metrics, _ = request(topology.base, "/metrics")
    assert status == 200 and b"peerlearn_http_requests_total" in metrics


def test_an_authenticated_api_call(topology: Topology) -> None:
    cookies = login(topology.base, "learner@peerlearn.test")
    status, _, body, _ = request(topology.base, "/api/v1/notifications", cookies=cookies)
    assert status == 200
    assert isinstance(
        json.loads(body)["items"] if body.startswith(b"{") else json.loads(body), list
    )
    status, _, _, _ = request(topology.base, "/api/v1/notifications")
    assert status == 401


class Socket:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def wait_for(self, kind: str, text: str = "") -> dict[str, Any]:
        """The next event of this type (whose frame contains ``text``), skipping others."""
        deadline = time.monotonic() + WAIT
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.monotonic()))
            event: dict[str, Any] = json.loads(frame)
            if event.get("type") == kind and text in frame:
                return event


async def _room_socket(url: str, origin: str, cookies: dict[str, str]) -> Socket:
    ws = await connect(
        url,
        origin=origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": f"sessionid={cookies['sessionid']}"},
        open_timeout=WAIT,
    )
    socket_ = Socket(ws)
    await socket_.wait_for("state")
    return socket_


def test_a_room_chat_between_clients_of_different_web_processes(topology: Topology) -> None:
    out = topology.manage_shell(ROOM_SCRIPT)
    room = json.loads(out.split("ROOM", 1)[1])
    tutor = login(topology.base, "smoke-tutor@example.org", PASSWORD)
    learner = login(topology.base, "smoke-learner@example.org", PASSWORD)
    origin = topology.base
    path = f"/ws/rooms/{room}/"

    async def scenario() -> None:
        # One client on each ASGI process directly, one through nginx.
        on_first = await _room_socket(f"ws://127.0.0.1:{topology.ws_ports[0]}{path}", origin, tutor)
        on_second = await _room_socket(
            f"ws://127.0.0.1:{topology.ws_ports[1]}{path}", origin, learner
        )
        via_nginx = await _room_socket(f"ws://localhost:{topology.port}{path}", origin, learner)
        try:
            await on_first.ws.send(json.dumps({"type": "chat", "body": "hello from process one"}))
            for client in (on_second, via_nginx):
                await client.wait_for("chat", "hello from process one")
            await via_nginx.ws.send(json.dumps({"type": "chat", "body": "and back via nginx"}))
            for client in (on_first, on_second):
                await client.wait_for("chat", "and back via nginx")
        finally:
            for client in (on_first, on_second, via_nginx):
                await client.ws.close()

    asyncio.run(scenario())
    log = (topology.run_dir / "logs" / "nginx-access.log").read_text()
    upgrades = [json.loads(line) for line in log.splitlines() if path in line]
    assert any(u["status"] == 101 for u in upgrades), "the nginx socket was not upgraded"


def test_a_submission_is_judged_by_the_workers(topology: Topology) -> None:
    cookies = login(topology.base, "learner@peerlearn.test")
    slug = topology.manage_shell(
        "from peerlearn.practice.models import Problem; "
        "print(Problem.objects.order_by('pk').values_list('slug', flat=True).first())"
    ).strip()
    headers = {
        "Content-Type": "application/json",
        "X-CSRFToken": cookies["csrftoken"],
        "Referer": topology.base + "/practice/",
    }
    body = json.dumps({"problem": slug, "language": "python", "code": "x = 1\n", "mode": "submit"})
    status, _, answer, _ = request(
        topology.base,
        "/api/v1/practice/submissions",
        cookies=cookies,
        raw=body.encode(),
        headers=headers,
    )
    assert status == 202, answer[:500]
    submission = json.loads(answer)
    deadline = time.monotonic() + WAIT * 2
    while submission["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        _, _, answer, _ = request(
            topology.base, f"/api/v1/practice/submissions/{submission['id']}", cookies=cookies
        )
        submission = json.loads(answer)
    # The code defines no solution: the sandbox ran it and every test failed; a verdict it is.
    assert submission["status"] == "done", submission
    assert submission["verdict"] not in ("", None, "internal_error"), submission
