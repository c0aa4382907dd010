"""A live session room in two Chromium browsers (fake camera, microphone and screen): a tutor and
a learner join their confirmed session, see and hear each other over WebRTC, chat both ways,
share a screen, draw and take notes; a third person is refused; afterwards the session's record
shows the transcript, the notes, the whiteboard and the shared files."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from peerlearn.common.testing import PDF_BYTES, make_tutor, make_user
from peerlearn.live.models import ChatMessage, RoomFile, SharedNotes, WhiteboardStroke

from .live_helpers import (
    INBOUND_VIDEO,
    PLAYING,
    REMOTE_CAMERA,
    REMOTE_SCREEN,
    media_browsers,
    open_booking,
    pages_in_own_browsers,
    sign_in,
    wait_connected,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def browsers(live_url: str) -> Iterator[Callable[[], Browser]]:
    yield from media_browsers()


@pytest.fixture
def new_page(browsers: Callable[[], Browser], request: pytest.FixtureRequest) -> Iterator[NewPage]:
    """Each person in a Chromium of their own, with a fake camera, microphone and screen."""
    yield from pages_in_own_browsers(browsers, request)


def _grows(page: Page, probe: str, key: str = "bytes", wait_s: float = 1.5) -> tuple[int, int]:
    """The probe's value once it is positive (getStats can lag the first decoded frames on a
    loaded machine; up to 15 s), and again ``wait_s`` later."""
    deadline = time.monotonic() + 15
    first = page.evaluate(probe)[key]
    while first == 0 and time.monotonic() < deadline:
        time.sleep(0.25)
        first = page.evaluate(probe)[key]
    time.sleep(wait_s)
    second = page.evaluate(probe)[key]
    return first, second


def _assert_playing(page: Page, selector: str) -> None:
    deadline = time.monotonic() + 15
    state: dict[str, object] = {}
    while time.monotonic() < deadline:
        state = page.evaluate(PLAYING, selector)
        if state.get("found") and state["readyState"] >= 2 and state["advanced"] > 0:  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError(f"{selector} is not playing: {state}")


def _send_chat(page: Page, text: str) -> None:
    page.locator("#chat-input").fill(text)
    page.locator("#chat-input").press("Enter")


def test_two_people_meet_in_the_room_and_find_the_record_afterwards(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    tutor = make_tutor("tara@example.org", display_name="Tara Tutor")
    learner = make_user("lee@example.org", display_name="Lee Learner")
    stranger = make_user("sam@example.org", display_name="Sam Stranger")
    booking = open_booking(tutor, learner)

    # The tutor presses "Join" on the session's page and lands in the room.
    tara = new_page()
    sign_in(tara.context, live_url, tutor)
    tara.goto(f"{live_url}/rooms/join/{booking.pk}/")
    tara.wait_for_url(re.compile(r"/rooms/\d+/$"))
    room_url = tara.url
    tara.locator("#conn-status[data-state=open]").wait_for()
    tara.wait_for_function("() => window.peerlearnRoom.call.readyDone")

    lee = new_page()
    sign_in(lee.context, live_url, learner)
    lee.goto(f"{live_url}/rooms/join/{booking.pk}/")
    lee.wait_for_url(room_url)

    # Each receives the other's video: inbound bytes grow and the remote <video> plays.
    wait_connected(tara)
    wait_connected(lee)
    for page in (tara, lee):
        page.wait_for_function(
            f"() => document.querySelector({REMOTE_CAMERA!r})?.readyState >= 2",
            timeout=15_000,
        )
        before, after = _grows(page, INBOUND_VIDEO)
        assert after > before > 0, (before, after)
        _assert_playing(page, REMOTE_CAMERA)
    assert tara.locator(".presence-person.online", has_text="Lee Learner").count() == 1
    assert lee.locator(".presence-person.online", has_text="Tara Tutor").count() == 1

    # The quality indicator has graded the connection from getStats.
    tara.wait_for_function(
        "() => ['good', 'fair', 'poor'].includes(document.getElementById('quality').dataset.level)",
        timeout=10_000,
    )

    # Chat both ways, with markdown and a code block; stored in the database.
    _send_chat(tara, "Hello Lee! Today: **Dijkstra**")
    lee.locator(".chat-msg", has_text="Hello Lee!").wait_for()
    assert lee.locator(".chat-msg strong", has_text="Dijkstra").count() == 1
    lee.locator("#chat-input").fill("Hi! My attempt:\n```python\ndef f(x):\n    return x\n```")
    lee.locator("#chat-input").press("Enter")
    tara.locator(".chat-msg", has_text="My attempt").wait_for()
    assert tara.locator(".chat-msg .md pre, .chat-msg .md .highlight").count() >= 1
    bodies = list(ChatMessage.objects.order_by("id").values_list("body", flat=True))
    assert bodies[0] == "Hello Lee! Today: **Dijkstra**" and bodies[1].startswith("Hi! My attempt")

    # The network drops for a few seconds: a message sent meanwhile arrives when the socket is
    # back (it resumes from the last chat id seen), and the call carries on.
    lee.evaluate("() => { const s = window.peerlearnRoom.socket; s.base = 4000; s.drop(); }")
    assert lee.locator("#conn-status").get_attribute("data-state") == "waiting"
    tara.locator(".presence-person:not(.online)", has_text="Lee Learner").wait_for()
    _send_chat(tara, "Did you get this while offline?")
    tara.locator(".chat-msg", has_text="while offline").wait_for()
    assert lee.locator(".chat-msg", has_text="while offline").count() == 0
    lee.locator(".chat-msg", has_text="while offline").wait_for(timeout=15_000)
    lee.locator("#conn-status[data-state=open]").wait_for()
    tara.locator(".presence-person.online", has_text="Lee Learner").wait_for()
    time.sleep(9)  # past the grace period in which a peer that left may come back
    for page in (tara, lee):
        assert page.evaluate("() => window.peerlearnRoom.call.peers.size") == 1
        before, after = _grows(page, INBOUND_VIDEO)
        assert after > before, (before, after)
    # An ICE restart (what a failed or disconnected connection gets) keeps the call going.
    lee.evaluate("() => [...window.peerlearnRoom.call.peers.values()][0].restartIce()")
    wait_connected(lee)
    before, after = _grows(tara, INBOUND_VIDEO)
    assert after > before, (before, after)
    assert lee.evaluate("() => window.peerlearnRoom.call.iceRestarts") >= 1

    # Typing shows on the other side.
    lee.locator("#chat-input").press_sequentially("thinking", delay=30)
    tara.locator("#chat-typing", has_text="Lee Learner is typing").wait_for()
    lee.locator("#chat-input").fill("")

    # A file shared from the Files tab is announced in the chat with a download link.
    lee.locator("#tab-files").click()
    pdf: FilePayload = {"name": "graph.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    lee.locator("#files-input").set_input_files(files=[pdf])
    lee.locator("#files-form button[type=submit]").click()
    tara.locator(".chat-msg .chat-file", has_text="graph.pdf").wait_for()
    assert tara.locator("#tab-files .tab-badge").inner_text() == "1"
    assert RoomFile.objects.get().original_name == "graph.pdf"

    # The learner shares their screen; the tutor receives it next to the camera.
    lee.locator("#tab-chat").click()
    lee.locator("#btn-share").click()
    lee.locator("#btn-share[aria-pressed=true]").wait_for()
    tara.locator(".tile.tile-screen").wait_for(timeout=15_000)
    _assert_playing(tara, REMOTE_SCREEN)
    tara.wait_for_function(
        """async () => {
          let streams = 0;
          for (const p of window.peerlearnRoom.call.peers.values()) {
            (await p.pc.getStats()).forEach((s) => {
              const video = s.type === 'inbound-rtp' && s.kind === 'video';
              if (video && s.framesDecoded > 0) streams += 1;
            });
          }
          return streams >= 2;
        }""",
        timeout=15_000,
    )
    assert tara.locator(".tiles.has-screen").count() == 1

    # Drawing on the whiteboard reaches the other side and is kept.
    tara.locator("#tab-board").click()
    board = tara.locator("#board")
    box = board.bounding_box()
    assert box is not None
    tara.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.3)
    tara.mouse.down()
    for step in range(1, 21):
        tara.mouse.move(
            box["x"] + box["width"] * (0.2 + step * 0.03),
            box["y"] + box["height"] * (0.3 + (step % 5) * 0.04),
        )
    tara.mouse.up()
    lee.wait_for_function("() => window.peerlearnRoom.board.strokes.length === 1")
    stroke = WhiteboardStroke.objects.get()
    assert len(stroke.data["points"]) > 5
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in stroke.data["points"])

    # Shared notes: typed by one, shown to the other.
    lee.locator("#tab-notes").click()
    lee.locator("#notes-text").fill("Dijkstra: relax edges in order of distance.\n")
    tara.locator("#tab-notes").click()
    tara.wait_for_function(
        "() => document.getElementById('notes-text').value.startsWith('Dijkstra: relax')",
        timeout=10_000,
    )
    assert SharedNotes.objects.get().text.startswith("Dijkstra: relax")

    # Two edits of the same line collide: the tutor's editor is still on the empty version when
    # she types. The server answers with a conflict; both texts are shown and the combined one
    # is saved — nothing typed is lost.
    tara.evaluate(
        "() => { const n = window.peerlearnRoom.notes; n.baseVersion = 0; n.baseText = ''; }"
    )
    tara.locator("#notes-text").fill("Bellman-Ford handles negative edges.\n")
    conflict = tara.locator("#notes-conflict")
    conflict.wait_for()
    assert "Dijkstra: relax" in conflict.locator("#conflict-theirs").input_value()
    assert "Bellman-Ford" in conflict.locator("#conflict-yours").input_value()
    combined = conflict.locator("#conflict-merged").input_value()
    assert "Dijkstra: relax" in combined and "Bellman-Ford" in combined
    screenshot(tara, "room-03-notes-conflict")
    conflict.get_by_role("button", name="Save combined").click()
    conflict.wait_for(state="hidden")
    lee.wait_for_function(
        "() => document.getElementById('notes-text').value.includes('Bellman-Ford')", timeout=10_000
    )
    saved = SharedNotes.objects.get()
    assert "Dijkstra: relax" in saved.text and "Bellman-Ford" in saved.text and saved.version == 2

    tara.locator("#tab-chat").click()
    lee.locator("#tab-chat").click()
    screenshot(tara, "room-01-tutor-sees-screen-share")
    screenshot(lee, "room-02-learner-sharing")

    # Stop sharing: the screen tile goes away on the other side.
    lee.locator("#btn-share").click()
    tara.locator(".tile.tile-screen").wait_for(state="detached", timeout=15_000)
    # Mute and camera off show on the other side's tile.
    lee.locator("#btn-mic").click()
    lee.locator("#btn-cam").click()
    tara.locator(".tile.tile-camera:not(.tile-local).no-video .tile-muted:not([hidden])").wait_for()
    tara.locator("#tab-board").click()
    screenshot(tara, "room-04-tutor-whiteboard-learner-camera-off")
    lee.locator("#btn-cam").click()
    tara.locator(".tile.tile-camera:not(.tile-local):not(.no-video)").wait_for()

    # A third signed-in person is refused: a 404 page, and the room's socket closes on them.
    sam = new_page()
    sign_in(sam.context, live_url, stranger)
    response = sam.goto(room_url)
    assert response is not None and response.status == 404
    response = sam.goto(f"{live_url}/rooms/join/{booking.pk}/")
    assert response is not None and response.status == 404
    # The server refuses the handshake itself (close before accept: HTTP 403), so the browser
    # sees the socket fail without ever opening, and no room event reaches it.
    outcome = sam.evaluate(
        """(roomId) => new Promise((resolve) => {
            const ws = new WebSocket(`ws://${location.host}/ws/rooms/${roomId}/`);
            let opened = false;
            const messages = [];
            ws.onopen = () => { opened = true; };
            ws.onmessage = (event) => messages.push(event.data);
            ws.onclose = (event) => resolve({ opened, code: event.code, messages });
        })""",
        booking.room.pk,
    )
    assert outcome == {"opened": False, "code": 1006, "messages": []}

    # Leaving: the other side sees them go.
    lee.locator("#btn-leave").click()
    lee.wait_for_url(re.compile(rf"/sessions/{booking.pk}/$"))
    tara.locator(".presence-person:not(.online)", has_text="Lee Learner").wait_for()
    tara.wait_for_function("() => window.peerlearnRoom.call.peers.size === 0", timeout=12_000)
    tara.close()

    # After the session: the room shows its record.
    booking.starts_at = timezone.now() - timedelta(hours=3)
    booking.ends_at = booking.starts_at + timedelta(hours=1)
    booking.save(update_fields=["starts_at", "ends_at"])
    lee.goto(room_url)
    lee.get_by_role("heading", name="Chat transcript").wait_for()
    transcript = lee.locator(".record-chat").inner_text()
    assert "Hello Lee!" in transcript and "My attempt" in transcript
    assert "Dijkstra: relax edges" in lee.locator(".record-notes").inner_text()
    assert lee.locator(".file-list a", has_text="graph.pdf").count() == 1
    lee.wait_for_function(
        """() => {
          const c = document.getElementById('board');
          const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < px.length; i += 4) if (px[i] > 0) return true;
          return false;
        }"""
    )
    with lee.expect_download() as download:
        lee.locator(".file-list a", has_text="graph.pdf").click()
    assert download.value.suggested_filename == "graph.pdf"
    lee.evaluate("window.scrollTo(0, 0)")
    screenshot(lee, "room-06-record")
