"""Shared parts of the live-room browser tests (and bench/rtc.py): a booking whose room is open
now, signing a browser context in without the login form, one Chromium per person with a fake
camera, microphone and screen, the in-page probes of the WebRTC call, and coturn.

The test modules override the e2e ``new_page`` fixture with ``pages_in_own_browsers``: each
person gets a browser of their own (two Chromium browsers, as two people have). Two relay-only
calls from the same Chromium process now and then gather no candidate at all."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.live.models import Room
from peerlearn.live.selectors import room_for_booking
from peerlearn.scheduling.models import Booking, TimeClaim

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

MEDIA_ARGS = [
    # A fake camera (a moving test pattern) and microphone (a beep), granted without a prompt;
    # getDisplayMedia picks the (virtual) screen without a picker.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # Real host addresses instead of mDNS names: no multicast lookups leave the machine.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    # Gather on the loopback interface too: the TURN server of the tests listens on 127.0.0.1
    # (without this, Chromium now and then gathers no relay candidate at all), and direct
    # calls stay on loopback.
    "--allow-loopback-in-peer-connection",
]


def media_browsers() -> Iterator[Callable[[], Browser]]:
    """For a fixture: ``launch()`` starts one more Chromium with fake media; all are closed
    afterwards. Start it after the database and the server (``live_url``), as the e2e
    ``browser`` fixture does."""
    from conftest import chromium_path, require

    from .conftest import CHROMIUM_ARGS

    require(chromium_path() is not None, "Chromium")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    launched: list[Browser] = []

    def launch() -> Browser:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *MEDIA_ARGS], headless=True
        )
        launched.append(browser)
        return browser

    try:
        yield launch
    finally:
        for browser in launched:
            browser.close()
        connections.close_all()  # see the e2e ``browser`` fixture
        playwright.stop()


def pages_in_own_browsers(
    launch: Callable[[], Browser], request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """For a fixture: like the e2e ``new_page``, but each page is one person in a Chromium of
    their own."""
    from .conftest import DEFAULT_TIMEOUT_MS, SCREENSHOTS

    contexts: list[BrowserContext] = []

    def make(**context_options: Any) -> Page:
        options: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, **context_options}
        context = launch().new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    report = getattr(request.node, "e2e_report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pages = [page for context in contexts for page in context.pages]
        for number, page in enumerate(pages, start=1):
            page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}-{number}.png"))
    for context in contexts:
        context.close()


def open_booking(
    tutor: User, learner: User, *, starts_in: timedelta = timedelta(minutes=5)
) -> Booking:
    """A confirmed one-to-one booking starting ``starts_in`` from now (its room is open)."""
    subject = tutor.teaching_subjects.get().subject
    starts_at = timezone.now() + starts_in
    ends_at = starts_at + timedelta(hours=1)
    booking = Booking.objects.create(
        tutor=tutor,
        subject=subject,
        starts_at=starts_at,
        ends_at=ends_at,
        status=Booking.Status.CONFIRMED,
        created_by=learner,
    )
    TimeClaim.objects.create(
        booking=booking, user=tutor, role=TimeClaim.Role.TUTOR, starts_at=starts_at, ends_at=ends_at
    )
    TimeClaim.objects.create(
        booking=booking,
        user=learner,
        role=TimeClaim.Role.LEARNER,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    return booking


def room_of(booking: Booking) -> Room:
    return room_for_booking(booking=booking)


def sign_in(context: BrowserContext, base_url: str, user: User) -> None:
    """Give the browser context a signed-in session cookie for ``user``."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


# --- in-page probes (evaluated with page.evaluate) --------------------------------------------

#: Total inbound video bytes and decoded frames over every connection of the page.
INBOUND_VIDEO = """async () => {
  const out = { bytes: 0, frames: 0, streams: 0 };
  for (const peer of window.peerlearnRoom.call.peers.values()) {
    const report = await peer.pc.getStats();
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        out.bytes += s.bytesReceived || 0;
        out.frames += s.framesDecoded || 0;
        if ((s.bytesReceived || 0) > 0) out.streams += 1;
      }
    });
  }
  return out;
}"""

#: The selected candidate pair of each connection: state and local/remote candidate types.
SELECTED_PAIR = """async () => {
  const out = [];
  for (const peer of window.peerlearnRoom.call.peers.values()) {
    const report = await peer.pc.getStats();
    const byId = new Map();
    let pairId = null;
    report.forEach((s) => {
      byId.set(s.id, s);
      if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    const pair = pairId ? byId.get(pairId) : null;
    if (!pair) { out.push(null); continue; }
    const local = byId.get(pair.localCandidateId) || {};
    const remote = byId.get(pair.remoteCandidateId) || {};
    out.push({
      state: pair.state,
      local: local.candidateType, localAddress: local.address, relayProtocol: local.relayProtocol,
      remote: remote.candidateType, remoteAddress: remote.address,
      bytesReceived: pair.bytesReceived,
    });
  }
  return out;
}"""

#: The video element's playback position, after a short wait: is it advancing?
PLAYING = """async (selector) => {
  const video = document.querySelector(selector);
  if (!video) return { found: false };
  const first = video.currentTime;
  await new Promise((resolve) => setTimeout(resolve, 700));
  return {
    found: true, readyState: video.readyState, paused: video.paused,
    advanced: video.currentTime - first, width: video.videoWidth, height: video.videoHeight,
  };
}"""

#: The remote camera tile's <video> (not ours, not a screen).
REMOTE_CAMERA = ".tile.tile-camera:not(.tile-local) video"
#: A remote screen-share tile's <video>.
REMOTE_SCREEN = ".tile.tile-screen:not(.tile-local) video"


def connected_peers(page: Page) -> Any:
    return page.evaluate(
        "() => [...window.peerlearnRoom.call.peers.values()].map((p) => p.pc.connectionState)"
    )


#: What the call looks like, for failure messages.
CALL_STATE = """() => {
  const room = window.peerlearnRoom;
  if (!room) return "no room page";
  return {
    socket: room.socket.status, ready: room.call.readyDone, me: room.call.myId,
    peers: [...room.call.peers.values()].map((p) => ({
      id: p.id, polite: p.polite, connection: p.pc.connectionState, ice: p.pc.iceConnectionState,
      gathering: p.pc.iceGatheringState, signaling: p.pc.signalingState,
      errors: p.iceErrors, camera: Boolean(p.cameraStream), log: p.log,
      remoteSdpCandidates: (p.pc.remoteDescription?.sdp.match(/a=candidate/g) || []).length,
      localSdpCandidates: (p.pc.localDescription?.sdp.match(/a=candidate/g) || []).length,
    })),
    restarts: room.call.iceRestarts, stuck: room.call.stuckRestarts, rebuilds: room.call.rebuilds,
  };
}"""


def wait_connected(page: Page, timeout_ms: int = 20_000) -> None:
    try:
        page.wait_for_function(
            """() => window.peerlearnRoom && [...window.peerlearnRoom.call.peers.values()]
                 .some((p) => p.pc.connectionState === "connected")""",
            timeout=timeout_ms,
        )
    except Exception as exc:
        raise AssertionError(f"the call did not connect: {page.evaluate(CALL_STATE)}") from exc


# --- coturn -----------------------------------------------------------------------------------


class Coturn:
    """coturn (Debian's ``turnserver``) on 127.0.0.1 with a TURN REST-API shared secret, relaying
    between loopback peers only. ``urls`` goes to settings.TURN_URLS, ``secret`` to TURN_SECRET."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.secret = secrets.token_urlsafe(24)
        self.log_path = workdir / "turnserver.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def urls(self) -> list[str]:
        return [f"turn:127.0.0.1:{self.port}?transport=udp"]

    def start(self, timeout: float = 10.0) -> Coturn:
        binary = shutil.which("turnserver")
        assert binary is not None
        low = 50_000 + secrets.randbelow(100) * 100
        command = [
            binary,
            "-n",  # no configuration file
            f"--listening-port={self.port}",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--min-port={low}",
            f"--max-port={low + 99}",
            "--use-auth-secret",
            f"--static-auth-secret={self.secret}",
            "--realm=peerlearn.test",
            "--fingerprint",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--allow-loopback-peers",
            "--no-multicast-peers",
            f"--userdb={self.workdir / 'turndb'}",
            f"--pidfile={self.workdir / 'turnserver.pid'}",
            "--verbose",  # log each allocation and its user
            "--log-file=stdout",
            "--simple-log",
        ]
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"turnserver exited: {self.log_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.3):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"turnserver did not listen on {self.port}: {self.log_text()[-2000:]}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if hasattr(self, "log"):
            self.log.close()


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port")
