"""Every figure of issue 13 in one command, each bench printing its ratios against a baseline
measured in the same run, with the machine's load beside each step.

Run (PostgreSQL and Redis of this machine; each step makes and drops its own databases):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peerlearn REDIS_URL=redis://127.0.0.1:6379/0 \\
      .venv/bin/python bench/load.py [--only http,pool,ws,rtc,hotspots] [--port 18600]

Steps, in order (about 15 minutes in all on 2 cores):

- ``http``: bench/http.py — one web process (granian WSGI) through nginx with wrk: /healthz and
  the authenticated API lists, against a bare Django hello and a bare ASGI app;
- ``pool``: bench/pool.py against a private ``make prod`` (deploy/prod.py up, its own database,
  run dir and ports, API rate limit raised so wrk measures work, not 429s): 256 connections
  through nginx, responses >= 500 counted by wrk and by nginx's access log;
- ``ws``: bench/ws.py — WebSocket chat on the production topology (it starts its own), against
  a bare ``websockets`` server: 1,000 clients in rooms of two, full rooms of 51, a ramp;
- ``rtc``: bench/rtc.py — join → first remote frame, direct and through coturn, in Chromium;
- ``hotspots``: bench/hotspots.py — home page 20k/50 tutors, the first recommendations request
  of a fresh process, broad search 100k/10k.

Everything printed is also written to bench/results/load-<UTC time>.txt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STEPS = ("http", "pool", "ws", "rtc", "hotspots")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", admin_url, "-q", "-c", sql], check=True, capture_output=True)


class Report:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("w")
        self.path = path

    def line(self, text: str = "") -> None:
        print(text, flush=True)
        self.file.write(text + "\n")
        self.file.flush()

    def run(self, label: str, command: list[str], env: dict[str, str]) -> int:
        self.line(f"\n=== {label}: {' '.join(command[1:])}")
        self.line(f"    before: {load()}")
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for text in process.stdout:
            self.line(text.rstrip("\n"))
        code = process.wait()
        self.line(
            f"    after: {load()}; {time.monotonic() - started:.0f} s; exit {code}"
            + ("" if code == 0 else "  <-- FAILED")
        )
        return code


def run_pool(report: Report, env: dict[str, str], port: int) -> int:
    """bench/pool.py needs a running topology: a private make prod on its own database."""
    admin = with_database(env["DATABASE_URL"], "postgres")
    database = urlsplit(env["DATABASE_URL"]).path.lstrip("/") + "_load"
    run_dir = ROOT / "var" / "load-prod"
    prod_env = {
        **env,
        "DATABASE_URL": with_database(env["DATABASE_URL"], database),
        "PROD_RUN_DIR": str(run_dir),
        "PROD_PORT": str(port),
        # One signed-in person at 256 connections would get 429s, which measure nothing; the
        # limit still runs on every request.
        "API_RATE_LIMIT_PER_MINUTE": "100000000",
    }
    prod = [PYTHON, str(ROOT / "deploy" / "prod.py")]
    psql(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    psql(admin, f'CREATE DATABASE "{database}"')
    try:
        code = report.run("pool: make prod up", [*prod, "up"], prod_env)
        if code != 0:
            return code
        return report.run(
            "pool",
            [
                PYTHON,
                str(ROOT / "bench" / "pool.py"),
                f"--base=http://localhost:{port}",
                f"--access-log={run_dir / 'logs' / 'nginx-access.log'}",
            ],
            prod_env,
        )
    finally:
        subprocess.run([*prod, "down"], cwd=ROOT, env=prod_env, check=False)
        psql(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(STEPS), help="comma-separated steps")
    parser.add_argument("--port", type=int, default=18600, help="pool's nginx; +1..+499 too")
    args = parser.parse_args()
    steps = [s for s in args.only.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    env = dict(os.environ)
    if not env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        parser.error("DATABASE_URL must point at PostgreSQL (each step makes its own databases)")
    if not env.get("REDIS_URL"):
        parser.error("REDIS_URL is required")

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    report = Report(ROOT / "bench" / "results" / f"load-{stamp}.txt")
    uname = os.uname()
    report.line(
        f"bench/load.py {stamp}: {os.cpu_count()} cores, {uname.sysname} {uname.release}, {load()}"
    )
    bench = ROOT / "bench"
    commands = {
        "http": [PYTHON, str(bench / "http.py")],
        "ws": [PYTHON, str(bench / "ws.py")],
        "rtc": [PYTHON, str(bench / "rtc.py")],
        "hotspots": [PYTHON, str(bench / "hotspots.py")],
    }
    failed = []
    for step in steps:
        code = (
            run_pool(report, env, args.port)
            if step == "pool"
            else report.run(step, commands[step], env)
        )
        if code != 0:
            failed.append(step)
    report.line(f"\nwritten to {report.path.relative_to(ROOT)}")
    if failed:
        report.line(f"failed steps: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
