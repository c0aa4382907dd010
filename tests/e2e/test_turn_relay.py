"""The room's call forced through a real TURN relay: coturn (Debian's ``turnserver``) started on
loopback with a shared secret, the ICE-servers endpoint handing out HMAC credentials for it, and
both browsers on ``iceTransportPolicy: "relay"`` (the room page's ``?relay=1``). Media flows,
and the connection in use is a relay candidate pair."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import require
from peerlearn.common.testing import make_tutor, make_user

from .live_helpers import (
    CALL_STATE,
    INBOUND_VIDEO,
    PLAYING,
    REMOTE_CAMERA,
    SELECTED_PAIR,
    Coturn,
    media_browsers,
    open_booking,
    pages_in_own_browsers,
    room_of,
    sign_in,
    wait_connected,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def browsers(live_url: str) -> Iterator[Callable[[], Browser]]:
    yield from media_browsers()


@pytest.fixture
def new_page(browsers: Callable[[], Browser], request: pytest.FixtureRequest) -> Iterator[NewPage]:
    """Each person in a Chromium of their own, with a fake camera, microphone and screen."""
    yield from pages_in_own_browsers(browsers, request)


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    require(shutil.which("turnserver") is not None, "coturn (turnserver)")
    server = Coturn(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


def test_the_call_flows_through_a_turn_relay(
    coturn: Coturn, live_url: str, new_page: NewPage, settings: Any, screenshot: Screenshot
) -> None:
    settings.STUN_URLS = []
    settings.TURN_URLS = coturn.urls
    settings.TURN_SECRET = coturn.secret
    tutor = make_tutor("tara@example.org", display_name="Tara Tutor")
    learner = make_user("lee@example.org", display_name="Lee Learner")
    booking = open_booking(tutor, learner)
    url = f"{live_url}/rooms/{room_of(booking).pk}/?relay=1"

    pages = []
    for person in (tutor, learner):
        page = new_page()
        sign_in(page.context, live_url, person)
        page.goto(url)
        page.wait_for_function("() => window.peerlearnRoom && window.peerlearnRoom.call.readyDone")
        pages.append(page)

    for page in pages:
        # The page asked the API for servers and got the TURN server with credentials.
        servers = page.evaluate("() => window.peerlearnRoom.call.iceServers")
        assert servers[0]["urls"] == coturn.urls and servers[0]["username"].endswith(
            ":" + str(page.evaluate("() => window.peerlearnRoom.me.id"))
        )
        assert page.evaluate("() => window.peerlearnRoom.call.forceRelay") is True
        try:
            wait_connected(page, timeout_ms=30_000)
        except AssertionError as exc:
            others = [p.evaluate(CALL_STATE) for p in pages if p is not page]
            raise AssertionError(f"{exc}; the other side: {others}") from exc

    for page in pages:
        # The selected pair's own state may lag "connected" by a moment.
        deadline = time.monotonic() + 10
        pairs = page.evaluate(SELECTED_PAIR)
        while time.monotonic() < deadline and not (
            pairs and all(p is not None and p["state"] == "succeeded" for p in pairs)
        ):
            time.sleep(0.2)
            pairs = page.evaluate(SELECTED_PAIR)
        assert pairs and all(p is not None for p in pairs), pairs
        for pair in pairs:
            assert pair["state"] == "succeeded", pair
            assert pair["local"] == "relay" and pair["remote"] == "relay", pair
            assert pair["localAddress"] == "127.0.0.1" and pair["relayProtocol"] == "udp", pair
        deadline = time.monotonic() + 15
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            state = page.evaluate(PLAYING, REMOTE_CAMERA)
            if state.get("found") and state["readyState"] >= 2 and state["advanced"] > 0:
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"the remote video is not playing: {state}")
        first = page.evaluate(INBOUND_VIDEO)["bytes"]
        time.sleep(1.5)
        second = page.evaluate(INBOUND_VIDEO)["bytes"]
        assert second > first > 0, (first, second)
        # The quality indicator says the call goes through the relay.
        page.wait_for_function(
            """() => [...window.peerlearnRoom.call.peers.values()]
                 .every((p) => p.quality.candidateType === 'relay')""",
            timeout=10_000,
        )
    screenshot(pages[0], "room-05-through-turn-relay")

    # coturn itself granted the allocations to both people, with their REST-API credentials.
    log = coturn.log_text()
    assert "ALLOCATE processed, success" in log, log[-3000:]
    for person in (tutor, learner):
        assert f":{person.pk}>" in log, log[-3000:]
