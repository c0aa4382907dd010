"""HTTP cost per web process, measured with wrk on loopback, as ratios to baselines in the same run.

Run (PostgreSQL and Redis from the environment; wrk and nginx from Debian):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peerlearn REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/http.py [--seconds 5] [--connections 32] [--keep-db]

One process each, one after the other, every one loaded by ``wrk -t2 -c32`` for ``--seconds``
after a one-second warm-up:

- baselines, straight to the server: a bare ASGI app (``bench/_bare_asgi.py``, granian ASGI) and
  a bare Django "hello" view with no middleware (``bench/_bare_django.py``) under granian WSGI,
  granian ASGI and uvicorn — the fastest of these is "the bare Django hello" the targets use;
- the project as production serves HTTP: nginx (a minimal generated config: keep-alive upstream,
  ``X-Forwarded-Proto: https`` as after TLS termination) in front of one granian WSGI process of
  ``config.wsgi:application`` with ``--web-threads`` threads, PostgreSQL with persistent
  connections, Redis for the cache and sessions; the bare Django hello through the same nginx
  shows what nginx alone costs.

Project endpoints: ``/healthz`` and the authenticated API lists (notifications, conversations,
forum threads, sessions, tutor search), each requested as the API's normal clients do — an app
sending its JWT access token (``Authorization: Bearer``) — and, with ``--cookies``, as a
browser does (the session cookie). wrk rotates over ``--clients`` signed-in people, one
token or cookie per request.

The data set is built fresh in its own database (``<DATABASE_URL's name>_httpbench``, dropped at
the end unless ``--keep-db``): ``seed_demo --tutors 300`` (358 people), ``seed_forum --demo``, and
per bench person 200 notifications, 15 conversations of 20 messages, 20 upcoming and 10 past
sessions, plus 600 forum threads with tags and replies (bench/_http_seed.py).

Rate limits stay on: the API throttle runs on every request, with
``API_RATE_LIMIT_PER_MINUTE=1000000`` so it never refuses the benchmark (production keeps its
default of 600 a minute per caller). Every non-2xx response is counted (wrk itself would count 3xx
as success). PostgreSQL connections: at most ``--web-threads`` + 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # not bench/: this file would shadow the stdlib's http
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.booking import admin_execute, server_url  # noqa: E402

VENV_BIN = Path(sys.executable).parent
SEARCH_QUERY = "q=mathematics"
ENDPOINTS = [
    ("notifications", "/api/v1/notifications"),
    ("conversations", "/api/v1/messaging/conversations"),
    ("forum threads", "/api/v1/forum/threads"),
    ("sessions", "/api/v1/bookings"),
    ("tutor search", f"/api/v1/tutors/search?{SEARCH_QUERY}"),
]
HELLO = "bare Django hello"
HEALTHZ_TARGET = 0.6
API_TARGET = 0.15

# wrk: rotate over the clients' headers, count every non-2xx, report as one JSON line.
WRK_SCRIPT = """
local headers = {HEADERS}
local path = "{PATH}"
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads * 7)
end
function init(args)
  bad = 0
  n = offset
end
function request()
  n = n + 1
  return wrk.format("GET", path, headers[(n % #headers) + 1])
end
function response(status, hdrs, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total_bad = 0
  for _, t in ipairs(threads) do total_bad = total_bad + t:get("bad") end
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"non2xx": %d, "errors": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    total_bad, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Result:
    label: str
    server: str
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    errors: int
    target: float | None = None


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def lua_headers(headers: Sequence[dict[str, str]]) -> str:
    rows = []
    for h in headers:
        rows.append(
            "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in h.items()) + "}"
        )
    return "{" + ",\n".join(rows) + "}"


class Ports:
    def __init__(self, base: int) -> None:
        self.next = base

    def take(self) -> int:
        while True:
            port, self.next = self.next, self.next + 1 if self.next else 0
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(400):
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return
        except OSError:
            time.sleep(0.05)
    err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else ""
    proc.kill()
    raise RuntimeError(f"{what} did not start on port {port}: {err[-2000:]}")


@contextmanager
def running(cmd: list[str], port: int, env: dict[str, str], what: str) -> Iterator[None]:
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_port(port, proc, what)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def granian(interface: str, app: str, port: int, threads: int) -> list[str]:
    cmd = [str(VENV_BIN / "granian"), "--interface", interface, "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--no-ws", "--log-level", "error", "--workers", "1"]
    if interface == "wsgi":
        # granian's default for WSGI is hundreds of threads (and as many database connections).
        cmd += ["--blocking-threads", str(threads)]
    return [*cmd, app]


def uvicorn(app: str, port: int) -> list[str]:
    options = ["--lifespan", "off", "--log-level", "error", "--no-access-log"]
    return [str(VENV_BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port), *options]


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    access_log {tmp}/nginx-access.log combined buffer=256k flush=5s;
    upstream web {{
        server 127.0.0.1:{upstream};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{listen};
        location / {{
            proxy_pass http://web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
}}
"""


@contextmanager
def behind_nginx(upstream: int, listen: int, tmp: Path) -> Iterator[None]:
    conf = tmp / f"nginx-{listen}.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, upstream=upstream, listen=listen))
    cmd = ["nginx", "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "nginx-error.log")]
    with running(cmd, listen, dict(os.environ), "nginx"):
        yield


def wrk(
    port: int,
    path: str,
    headers: Sequence[dict[str, str]],
    *,
    seconds: int,
    connections: int,
    threads: int,
    tmp: Path,
) -> tuple[float, float, float, int, int]:
    script = tmp / "wrk.lua"
    host_headers = [{"Host": "127.0.0.1", **h} for h in headers] or [{"Host": "127.0.0.1"}]
    script.write_text(WRK_SCRIPT.format(HEADERS=lua_headers(host_headers), PATH=path))
    url = f"http://127.0.0.1:{port}"
    base = ["wrk", f"-t{threads}", f"-c{connections}", "--timeout", "10s", "-s", str(script)]
    subprocess.run([*base, "-d1s", url], check=True, capture_output=True)  # warm-up
    out = subprocess.run([*base, f"-d{seconds}s", url], check=True, capture_output=True, text=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    data = json.loads(line.removeprefix("RESULT "))
    rps = data["requests"] / (data["duration_us"] / 1e6)
    return rps, data["p50_us"] / 1000, data["p99_us"] / 1000, data["non2xx"], data["errors"]


def check(port: int, path: str, headers: dict[str, str]) -> str:
    """One request before the load: it must answer 200, and with data (not an empty list)."""
    import urllib.request  # here, once sys.path no longer starts with bench/ (see above)

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http://)
        body = json.loads(response.read())
    if isinstance(body, dict) and "count" in body:
        rows = body.get("items", body.get("results"))
        if not rows:
            raise RuntimeError(f"{path} answered no rows: {str(body)[:300]}")
        return f"{len(rows)} of {body['count']}"
    return "ok"


def create_database(database_url: str, name: str) -> str:
    """A new, empty database ``name`` on ``database_url``'s server; its URL."""
    admin_execute(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
    admin_execute(database_url, "CREATE DATABASE {}", name)
    return server_url(database_url, name)


def drop_database(database_url: str, name: str) -> None:
    admin_execute(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def prepare(args: argparse.Namespace, env: dict[str, str]) -> list[dict[str, str]]:
    """Migrate and seed the bench database; sign the bench people in. Returns per client the
    JWT header set and the cookie header set (alternating: jwt, cookie, jwt, cookie, ...)."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bench import _http_seed

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", tutors=300, quiet=True)
    call_command("seed_forum", demo=True, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    _http_seed.seed(clients=args.clients)
    clients = _http_seed.sign_in(clients=args.clients)
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a live database has them
    connections.close_all()
    print(f"seeded and signed in {len(clients)} clients in {time.perf_counter() - began:.1f} s")
    headers: list[dict[str, str]] = []
    for c in clients:
        headers.append({"Authorization": f"Bearer {c.access_token}"})
        headers.append({"Cookie": f"sessionid={c.session_cookie}"})
    return headers


class Bench:
    """The runs of one invocation, in order, and the table they make."""

    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.ports = Ports(args.port_base)
        self.results: list[Result] = []
        self.bare_env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def measure(
        self,
        label: str,
        server: str,
        port: int,
        path: str,
        headers: Sequence[dict[str, str]] = (),
        target: float | None = None,
    ) -> None:
        a = self.args
        rps, p50, p99, bad, errors = wrk(
            port,
            path,
            headers,
            seconds=a.seconds,
            connections=a.connections,
            threads=a.wrk_threads,
            tmp=self.tmp,
        )
        self.results.append(Result(label, server, rps, p50, p99, bad, errors, target))
        print(f"  {label:38} {server:26} {rps:7.0f} req/s  p50 {p50:6.1f} ms  non-2xx {bad}")

    def baselines(self) -> None:
        env = self.bare_env
        port = self.ports.take()
        with running(granian("asgi", "bench._bare_asgi:app", port, 1), port, env, "bare ASGI"):
            self.measure("bare ASGI app", "granian ASGI", port, "/")
        for threads in sorted({1, self.args.web_threads}):
            port = self.ports.take()
            cmd = granian("wsgi", "bench._bare_django:application", port, threads)
            with running(cmd, port, env, "bare Django (WSGI)"):
                self.measure(HELLO, f"granian WSGI ×{threads}", port, "/")
        port = self.ports.take()
        cmd = granian("asgi", "bench._bare_django:asgi_application", port, 1)
        with running(cmd, port, env, "bare Django (granian ASGI)"):
            self.measure(HELLO, "granian ASGI", port, "/")
        port = self.ports.take()
        cmd = uvicorn("bench._bare_django:asgi_application", port)
        with running(cmd, port, env, "bare Django (uvicorn)"):
            self.measure(HELLO, "uvicorn", port, "/")
        upstream, front = self.ports.take(), self.ports.take()
        threads = self.args.web_threads
        cmd = granian("wsgi", "bench._bare_django:application", upstream, threads)
        with running(cmd, upstream, env, "bare Django"), behind_nginx(upstream, front, self.tmp):
            self.measure(HELLO, f"nginx → granian WSGI ×{threads}", front, "/")

    def project(self, env: dict[str, str], clients: list[dict[str, str]]) -> None:
        threads = self.args.web_threads
        upstream, front = self.ports.take(), self.ports.take()
        cmd = granian("wsgi", "config.wsgi:application", upstream, threads)
        server = f"nginx → granian WSGI ×{threads}"
        with running(cmd, upstream, env, "the project"), behind_nginx(upstream, front, self.tmp):
            check(front, "/healthz", {})
            self.measure("project /healthz", server, front, "/healthz", (), HEALTHZ_TARGET)
            variants = [("JWT", clients[0::2])]
            if self.args.cookies:
                variants.append(("cookie", clients[1::2]))
            for auth, headers in variants:
                for label, path in ENDPOINTS:
                    if self.args.only and label not in self.args.only.split(","):
                        continue
                    note = check(front, path, {"Host": "127.0.0.1", **headers[0]})
                    self.measure(
                        f"{label} ({auth}; {note})", server, front, path, headers, API_TARGET
                    )

    def report(self, seconds_total: float, load_before: float) -> None:
        a = self.args
        bare_asgi = self.results[0].rps
        hello = max(r.rps for r in self.results if r.label == HELLO and "nginx" not in r.server)
        print(
            f"\nwrk -t{a.wrk_threads} -c{a.connections} -d{a.seconds}s per row; "
            f"{os.cpu_count()} CPUs; load average before {load_before:.2f}, "
            f"after {os.getloadavg()[0]:.2f}; {seconds_total:.0f} s in all"
        )
        print(
            f"ratios: × the fastest bare Django hello ({hello:.0f} req/s, straight to its "
            f"server) and × the bare ASGI app ({bare_asgi:.0f} req/s)\n"
        )
        columns = ["what", "server", "req/s", "p50 ms", "p99 ms", "non-2xx", "× hello", "× ASGI"]
        print("| " + " | ".join([*columns, "target"]) + " |")
        print("|---|---|" + "---:|" * 6 + "---|")
        for r in self.results:
            ratio = r.rps / hello
            verdict = ""
            if r.target is not None:
                ok = ratio >= r.target and r.non2xx == 0 and r.errors == 0
                verdict = f"≥ {r.target:.2f} {'✓' if ok else '✗'}"
            bad = f"{r.non2xx}" + (f" +{r.errors} errors" if r.errors else "")
            cells = [r.label, r.server, f"{r.rps:,.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}"]
            cells += [bad, f"{ratio:.3f}", f"{r.rps / bare_asgi:.3f}", verdict]
            print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4, help="granian WSGI threads")
    parser.add_argument("--clients", type=int, default=64, help="signed-in people to rotate")
    parser.add_argument("--port-base", type=int, default=0, help="0: any free port")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--prepare-only", action="store_true", help="seed, keep the database, measure nothing"
    )
    parser.add_argument(
        "--cookies", action="store_true", help="also measure with the browser's session cookie"
    )
    parser.add_argument("--only", default="", help="comma-separated endpoint labels to measure")
    args = parser.parse_args()

    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin"
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed (Debian: apt-get install {tool})")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must name a PostgreSQL database (its server hosts the bench's)")
    if not os.environ.get("REDIS_URL"):
        sys.exit("REDIS_URL is needed (cache and sessions, as in production)")

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    base_url = os.environ["DATABASE_URL"]
    db_name = urlsplit(base_url).path.lstrip("/") + "_httpbench"
    tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
    env = {
        **os.environ,
        "DATABASE_URL": create_database(base_url, db_name),
        "DEBUG": "0",
        "SECRET_KEY": "bench-http-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PEERLEARN_VAR_DIR": str(tmp / "var"),
        "DB_CONN_MAX_AGE": "600",
        "API_RATE_LIMIT_PER_MINUTE": "1000000",
        "JWT_ACCESS_TTL_SECONDS": "3600",
        "PYTHONPATH": str(ROOT),
    }
    bench = Bench(args, tmp)
    try:
        clients = prepare(args, env)
        if args.prepare_only:
            args.keep_db = True
            return
        bench.baselines()
        bench.project(env, clients)
    finally:
        if not args.keep_db:
            drop_database(base_url, db_name)
        shutil.rmtree(tmp, ignore_errors=True)
    bench.report(time.perf_counter() - started, load_before)


if __name__ == "__main__":
    main()
