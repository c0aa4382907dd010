"""HTTP throughput of the site under uvicorn and granian, as ratios to a bare ASGI app.

Run: .venv/bin/python bench/http.py [--seconds 5] [--concurrency 32]

Each server runs in its own process on loopback (one worker), with the same load generator
(asyncio, HTTP/1.1 keep-alive connections). Baseline: a bare ASGI "hello" app on the same server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_APP = "bench._bare_asgi:app"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _client(port: int, path: str, deadline: float, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".encode()
    done = 0
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        writer.write(request)
        await writer.drain()
        headers = await reader.readuntil(b"\r\n\r\n")
        length = 0
        chunked = False
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            if name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await reader.readline()).strip(), 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await reader.readexactly(length)
        latencies.append(time.perf_counter() - start)
        done += 1
    writer.close()
    return done


async def load(port: int, path: str, seconds: float, concurrency: int) -> tuple[float, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    counts = await asyncio.gather(
        *(_client(port, path, deadline, latencies) for _ in range(concurrency))
    )
    return sum(counts) / seconds, statistics.median(latencies) * 1000


def start(server: str, app: str, port: int) -> subprocess.Popen[bytes]:
    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    if server == "uvicorn":
        cmd = [
            str(venv_bin / "uvicorn"),
            app,
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    else:
        cmd = [
            str(venv_bin / "granian"),
            "--interface",
            "asgi",
            "--port",
            str(port),
            "--no-ws",
            app,
            "--log-level",
            "warning",
        ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(
        f"{server} did not start: {proc.stderr.read().decode() if proc.stderr else ''}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 50}
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, check=True, env=env)
    servers = ["uvicorn"] + (
        ["granian"] if shutil.which("granian", path=str(Path(sys.executable).parent)) else []
    )
    print(f"{'server':8} {'path':22} {'req/s':>9} {'p50 ms':>8} {'ratio to bare':>14}")
    for server in servers:
        results = {}
        for label, app, path in (
            ("bare ASGI", BARE_APP, "/"),
            ("/healthz", "config.asgi:application", "/healthz"),
            ("home page", "config.asgi:application", "/"),
            ("/api/v1/subjects", "config.asgi:application", "/api/v1/subjects"),
        ):
            port = free_port()
            proc = start(server, app, port)
            try:
                asyncio.run(load(port, path, 1, 4))  # warm-up
                rps, p50 = asyncio.run(load(port, path, args.seconds, args.concurrency))
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            results[label] = rps
            ratio = rps / results["bare ASGI"]
            print(f"{server:8} {label:22} {rps:9.0f} {p50:8.1f} {ratio:14.3f}")


if __name__ == "__main__":
    main()
