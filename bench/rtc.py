"""Live rooms: time from joining the room to the first decoded frame of the other person's video,
directly (peer to peer on this machine) and through a TURN relay (coturn on loopback), in two
headless Chromium contexts with a fake camera. The median of ``--runs`` joins each, and the
ratio TURN / direct measured in the same run.

Run: .venv/bin/python bench/rtc.py [--runs 10] [--write]

Everything is local and thrown away afterwards: a temporary PEERLEARN_VAR_DIR with its own
SQLite database (migrated, static files collected), two uvicorn processes on 127.0.0.1 (one
without TURN settings, one whose ICE-servers endpoint hands out coturn credentials), coturn on
127.0.0.1, and Chromium. One person (the tutor) waits in the room; the other opens the room page
``--runs`` times (after one warm-up join that is not counted). "Join" is the navigation start of
the room page; "first frame" is the first ``requestVideoFrameCallback`` of the remote camera
<video> (the room page records both, ``performance.now()`` since navigation start).
``--write`` replaces the "Live rooms: WebRTC" section of docs/performance.md with the results.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # bench/http.py would shadow the standard library's http
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECTION = "## Live rooms: WebRTC (bench/rtc.py)"
RUN_TIMEOUT_MS = 20_000
SAMPLE = """async () => {
  const room = window.peerlearnRoom;
  const peer = [...room.call.peers.values()][0];
  const stats = await peer.pc.getStats();
  const byId = new Map();
  let pairId = null;
  stats.forEach((s) => {
    byId.set(s.id, s);
    if (s.type === "transport") pairId = s.selectedCandidatePairId;
  });
  const pair = byId.get(pairId) || {};
  const local = byId.get(pair.localCandidateId) || {};
  const nav = performance.getEntriesByType("navigation")[0] || {};
  const scripts = performance.getEntriesByType("resource").filter((r) => r.name.endsWith(".js"));
  return {
    html: nav.responseEnd || 0,
    scripts: Math.max(0, ...scripts.map((r) => r.responseEnd)),
    socket: room.metrics.socketOpenMs || 0,
    ready: room.call.metrics.readyMs || 0,
    frame: room.call.metrics.firstRemoteFrameMs,
    state: room.metrics.firstStateMs,
    candidate: local.candidateType || null,
  };
}"""
DIAGNOSIS = """() => {
  const room = window.peerlearnRoom;
  if (!room) return "no room page";
  return {
    socket: room.socket.status, ready: room.call.readyDone,
    peers: [...room.call.peers.values()].map((p) => ({
      connection: p.pc.connectionState, signaling: p.pc.signalingState,
      orphaned: Boolean(p.orphaned),
      frame: p.firstFrameAt, camera: Boolean(p.cameraStream), gathering: p.pc.iceGatheringState,
      ice: p.pc.iceConnectionState, errors: p.iceErrors, restarts: p.call.stuckRestarts,
      rebuilds: p.call.rebuilds,
    })),
    servers: room.call.iceServers,
  };
}"""


def configure(var_dir: Path) -> dict[str, str]:
    """Environment of the bench's Django and of its servers: production-like, all local."""
    env = {
        "PEERLEARN_VAR_DIR": str(var_dir),
        "DEBUG": "0",
        "SECRET_KEY": "bench-rtc-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",  # ORM reads beside Playwright's loop
        "PYTHONPATH": str(ROOT),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "TURN_URLS", "TURN_SECRET", "STUN_URLS"):
        os.environ.pop(name, None)
    os.environ.update(env)
    return {**os.environ}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "uvicorn"),
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
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"uvicorn exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("uvicorn did not start")


def measure(
    launch: Callable[[], Any],
    base: str,
    room_id: int,
    cookies: dict[str, str],
    *,
    relay: bool,
    runs: int,
) -> list[dict[str, float]]:
    """Join ``runs`` + 1 times (the first is a warm-up); the per-join timings in ms.

    The waiting person keeps one browser; each join is a fresh browser, like a person arriving."""
    from django.conf import settings

    cookie_name = settings.SESSION_COOKIE_NAME
    url = f"{base}/rooms/{room_id}/" + ("?relay=1" if relay else "")

    def open_page(browser: Any, who: str) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": cookie_name, "value": cookies[who], "url": base}])
        return context.new_page()

    host = launch()
    results = []
    try:
        waiting = open_page(host, "tutor")
        waiting.goto(url)
        waiting.wait_for_function(
            "() => window.peerlearnRoom && window.peerlearnRoom.call.readyDone",
            timeout=RUN_TIMEOUT_MS,
        )
        for attempt in range(runs + 1):
            guest = launch()
            try:
                page = open_page(guest, "learner")
                page.goto(url)
                try:
                    page.wait_for_function(
                        "() => window.peerlearnRoom?.call.metrics.firstRemoteFrameMs != null",
                        timeout=RUN_TIMEOUT_MS,
                    )
                except Exception as exc:
                    raise RuntimeError(
                        f"join {attempt}: no remote frame: {page.evaluate(DIAGNOSIS)}"
                    ) from exc
                sample = page.evaluate(SAMPLE)
                if relay and sample["candidate"] != "relay":
                    raise RuntimeError(
                        f"expected a relay candidate pair, got {sample['candidate']}"
                    )
                if attempt:  # the first join warms the server and caches up
                    results.append(sample)
                page.close(run_before_unload=True)
            finally:
                guest.close()
            try:
                waiting.wait_for_function(
                    "() => window.peerlearnRoom.call.peers.size === 0", timeout=RUN_TIMEOUT_MS
                )
            except Exception as exc:
                raise RuntimeError(
                    f"join {attempt}: the other side still has {waiting.evaluate(DIAGNOSIS)}"
                ) from exc
    finally:
        host.close()
    return results


def summary(samples: list[dict[str, float]]) -> dict[str, float]:
    frames = [s["frame"] for s in samples]
    states = [s["state"] for s in samples]
    return {
        "median": statistics.median(frames),
        "min": min(frames),
        "max": max(frames),
        "state": statistics.median(states),
        "media": statistics.median(f - s for f, s in zip(frames, states, strict=True)),
    }


def write_section(text: str) -> None:
    path = ROOT / "docs" / "performance.md"
    doc = path.read_text()
    if SECTION in doc:
        start = doc.index(SECTION)
        following = doc.find("\n## ", start + len(SECTION))
        doc = (
            doc[:start].rstrip()
            + "\n\n"
            + text
            + ("\n" + doc[following:] if following != -1 else "\n")
        )
    else:
        doc = doc.rstrip() + "\n\n" + text + "\n"
    path.write_text(doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    chromium = (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not chromium or not shutil.which("turnserver"):
        sys.exit("bench/rtc.py needs Chromium and coturn (turnserver)")

    with tempfile.TemporaryDirectory(prefix="peerlearn-rtc-") as tmp:
        var_dir = Path(tmp)
        env = configure(var_dir)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)

        from django.conf import settings
        from django.test import Client

        from peerlearn.common.testing import make_tutor, make_user
        from tests.e2e.live_helpers import MEDIA_ARGS, Coturn, open_booking, room_of

        tutor = make_tutor("tutor@bench.example", display_name="Tara Tutor")
        learner = make_user("learner@bench.example", display_name="Lee Learner")
        room = room_of(open_booking(tutor, learner))
        cookies = {}
        for who, user in (("tutor", tutor), ("learner", learner)):
            client = Client()
            client.force_login(user)
            cookies[who] = client.cookies[settings.SESSION_COOKIE_NAME].value

        coturn = Coturn(var_dir).start()
        direct_port, relay_port = free_port(), free_port()
        servers = [
            start_server(env, direct_port),
            start_server(
                {**env, "TURN_URLS": ",".join(coturn.urls), "TURN_SECRET": coturn.secret},
                relay_port,
            ),
        ]
        from playwright.sync_api import sync_playwright

        results: dict[str, dict[str, float]] = {}
        started = time.monotonic()
        try:
            with sync_playwright() as playwright:

                def launch() -> Any:
                    return playwright.chromium.launch(
                        executable_path=chromium,
                        headless=True,
                        args=["--no-sandbox", "--disable-gpu", "--no-first-run", *MEDIA_ARGS],
                    )

                modes = (("direct", direct_port, False), ("TURN relay", relay_port, True))
                for label, port, relay in modes:
                    samples = measure(
                        launch,
                        f"http://127.0.0.1:{port}",
                        room.pk,
                        cookies,
                        relay=relay,
                        runs=args.runs,
                    )
                    results[label] = summary(samples)
                    print(
                        f"{label:11} "
                        + " ".join(
                            f"{s['frame']:.0f} (html {s['html']:.0f}, js {s['scripts']:.0f}, "
                            f"socket {s['socket']:.0f}, state {s['state']:.0f}, "
                            f"call ready {s['ready']:.0f})"
                            for s in samples
                        ),
                        flush=True,
                    )
        except Exception:
            print(coturn.log_text()[-6000:], file=sys.stderr)
            raise
        finally:
            for proc in servers:
                proc.terminate()
                proc.wait(timeout=10)
            coturn.stop()
        elapsed = time.monotonic() - started

    direct, relayed = results["direct"], results["TURN relay"]
    version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip()
    ratio = relayed["median"] / direct["median"]
    lines = [
        SECTION,
        "",
        f"Join → first decoded remote frame, median of {args.runs} joins each (after one warm-up "
        "join), on one machine: the person waiting in the room has one headless Chromium, each "
        'join is a fresh headless Chromium (cold cache), both with a fake camera. "Join" is the '
        "navigation start of the room page, so the page load, camera start, WebSocket `state`, "
        "signaling (perfect negotiation), ICE, DTLS and the first decoded frame are all inside. "
        '"Socket state" is when the room\'s WebSocket delivered its first `state` event; '
        '"media after state" is the rest, per join.',
        "",
        "| path | first frame, median ms | min – max ms | socket state, median ms "
        "| media after state, median ms | ratio to direct |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, r in (
        ("direct (host candidates)", direct),
        ("TURN relay (coturn, UDP, loopback)", relayed),
    ):
        lines.append(
            f"| {label} | {r['median']:.0f} | {r['min']:.0f} – {r['max']:.0f} | {r['state']:.0f} | "
            f"{r['media']:.0f} | {r['median'] / direct['median']:.2f} |"
        )
    lines += [
        "",
        f"TURN / direct: **{ratio:.2f}**. Measured {time.strftime('%Y-%m-%d')} on "
        f"{platform.machine()}, Python {platform.python_version()}, {version}; "
        f"the whole bench took {elapsed:.0f} s. On loopback a relay costs only coturn's "
        "allocation round trips (well under a millisecond each), so the ratio is about 1 within "
        "the run-to-run spread; over a real network the relay adds the detour to the TURN server.",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    if args.write:
        write_section(text)
        print("\nwritten to docs/performance.md")


if __name__ == "__main__":
    main()
