"""Booking across two time zones, in two Chromium browsers: a learner in New York books a tutor
in Berlin from the tutor's profile, the tutor accepts under "Requests to me", and both find the
session under "Upcoming", each at the time on their own clock."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from peerlearn.common.testing import PASSWORD, make_subject, make_tutor, make_user
from peerlearn.scheduling.models import Booking

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.I)).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _shown(start: datetime, end: datetime) -> str:
    """How the pages print a session's time: "Wed 3 Mar 2027, 05:00–06:00"."""
    return f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}–{end:%H:%M}"


def _clock_minutes(text: str) -> int:
    hours, minutes = re.search(r", (\d\d):(\d\d)–", text).groups()  # type: ignore[union-attr]
    return int(hours) * 60 + int(minutes)


def test_a_learner_books_a_tutor_in_another_time_zone_and_both_see_their_own_time(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    topic = make_subject("Shortest paths", parent_names=("Computer science", "Algorithms"))
    tutor = make_tutor(
        "tara@example.org", timezone="Europe/Berlin", display_name="Tara Tutor", subject=topic
    )
    learner = make_user("lee@example.org", timezone="America/New_York", display_name="Lee Learner")

    # The learner, in New York, opens the tutor's profile and goes to book.
    lee = new_page()
    _sign_in(lee, live_url, learner.email)
    lee.goto(f"{live_url}/people/{tutor.pk}/")
    assert "no sessions yet" in lee.locator("[data-booking-card]").inner_text()
    screenshot(lee, "booking-00-profile-card")
    lee.get_by_role("link", name="Book a session").click()
    lee.get_by_role("heading", name="Book a session with Tara Tutor").wait_for()
    assert "America/New_York" in lee.locator(".page-head").inner_text()

    # Changing the duration refreshes the times in place and the URL remembers the choice.
    lee.locator(".segmented-options label", has_text="45 min").click()
    lee.wait_for_url(re.compile(r"duration=45"))
    lee.locator("#booking-panel h2", has_text="45 min").wait_for()
    screenshot(lee, "booking-01-free-times")

    first_slot = lee.locator("a.slot").first
    slot_label = first_slot.get_attribute("aria-label") or ""
    first_slot.click()
    confirm = lee.locator("#confirm")
    confirm.get_by_role("heading", name="Request this time").wait_for()
    assert "(America/New_York)" in confirm.inner_text()
    assert "(Europe/Berlin)" in confirm.inner_text()  # the tutor's clock, for reference
    lee.evaluate("window.scrollTo(0, 0)")  # a full-page shot from the top, header in place
    screenshot(lee, "booking-02-confirm")
    confirm.get_by_label("Note for the tutor").fill("Could we go through Dijkstra?")
    confirm.get_by_role("button", name="Send request").click()
    lee.get_by_text("Request sent to Tara Tutor").wait_for()
    assert re.search(r"/sessions/\d+/$", lee.url)

    booking = Booking.objects.get()
    assert booking.status == Booking.Status.REQUESTED and booking.duration_minutes == 45
    local_ny = booking.starts_at.astimezone(NEW_YORK)
    # The slot picked is the one the learner saw, labelled in New York time.
    assert f"{local_ny:%H:%M}" in slot_label and f"{local_ny:%A} {local_ny.day}" in slot_label

    # The tutor, in Berlin, finds the request under "Requests to me" and accepts it.
    tara = new_page()
    _sign_in(tara, live_url, tutor.email)
    tara.goto(f"{live_url}/sessions/")
    tara.get_by_role("link", name=re.compile(r"^Requests to me")).click()
    row = tara.locator("li.session", has_text="Lee Learner")
    row.get_by_text("“Could we go through Dijkstra?”").wait_for()
    row.get_by_role("button", name="Accept").click()
    tara.get_by_text("Confirmed. You both get a calendar invitation").wait_for()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED

    # Both see it under "Upcoming", each in their own zone.
    start_ny, end_ny = local_ny, booking.ends_at.astimezone(NEW_YORK)
    start_berlin = booking.starts_at.astimezone(BERLIN)
    end_berlin = booking.ends_at.astimezone(BERLIN)
    tara.goto(f"{live_url}/sessions/")
    lee.goto(f"{live_url}/sessions/")
    tutor_sees = tara.locator("li.session .session-time").inner_text()
    learner_sees = lee.locator("li.session .session-time").inner_text()
    assert tutor_sees == _shown(start_berlin, end_berlin)
    assert learner_sees == _shown(start_ny, end_ny)
    offset = start_berlin.utcoffset() - start_ny.utcoffset()  # type: ignore[operator]
    assert offset in (timedelta(hours=5), timedelta(hours=6))  # 5 h in the weeks between DSTs
    shift = (_clock_minutes(tutor_sees) - _clock_minutes(learner_sees)) % (24 * 60)
    assert shift == offset.total_seconds() // 60
    assert "Tara Tutor" in lee.locator("li.session").inner_text()
    assert "Lee Learner" in tara.locator("li.session").inner_text()
    screenshot(lee, "booking-03-my-sessions-learner")
    screenshot(tara, "booking-04-my-sessions-tutor")

    # The session's page: facts, both clocks, the history, and the .ics download.
    lee.locator("li.session .session-title a").click()
    lee.get_by_role("heading", name="History").wait_for()
    history = lee.locator(".timeline").inner_text()
    assert "You asked for the session" in history and "Tara Tutor accepted the request" in history
    assert f"{start_berlin:%H:%M}" in lee.locator(".facts").inner_text()
    with lee.expect_download() as download_info:
        lee.get_by_role("link", name="Download .ics").click()
    assert download_info.value.suggested_filename == f"peerlearn-session-{booking.pk}.ics"
    screenshot(lee, "booking-05-detail")


def test_a_tutor_offers_a_group_session_and_a_learner_takes_a_seat(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    tutor = make_tutor("tara@example.org", timezone="Europe/Berlin", display_name="Tara Tutor")
    learner = make_user("lee@example.org", timezone="America/New_York", display_name="Lee Learner")
    starts = (datetime.now(BERLIN) + timedelta(days=3)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )

    tara = new_page(permissions=["clipboard-read", "clipboard-write"])
    _sign_in(tara, live_url, tutor.email)
    tara.goto(f"{live_url}/sessions/groups/")
    tara.get_by_label("Title").fill("Exam prep: graphs")
    tara.get_by_label("Starts").fill(f"{starts:%Y-%m-%dT%H:%M}")
    tara.get_by_label("Seats").fill("5")
    tara.get_by_role("button", name="Open the session").click()
    tara.get_by_text("Your group session is open").wait_for()
    group = Booking.objects.get(kind=Booking.Kind.GROUP)
    assert group.starts_at == starts and group.capacity == 5

    lee = new_page()
    _sign_in(lee, live_url, learner.email)
    lee.goto(f"{live_url}/sessions/groups/")
    card = lee.locator(".group-card", has_text="Exam prep: graphs")
    assert "5 seats left" in card.inner_text()
    local = starts.astimezone(NEW_YORK)
    assert f"{local:%H:%M}" in card.locator(".session-time").inner_text()
    screenshot(lee, "booking-06-groups")
    card.get_by_role("button", name="Take a seat").click()
    lee.get_by_text("Your seat is booked").wait_for()
    lee.goto(f"{live_url}/sessions/groups/")
    assert "You have a seat" in lee.locator(".group-card").inner_text()

    tara.goto(f"{live_url}/sessions/settings/")
    feed_url = tara.locator("#feed-url").inner_text()
    assert feed_url.startswith(live_url) and feed_url.endswith(".ics")
    assert tara.locator("#webcal-url").inner_text().startswith("webcal://")
    copy = tara.locator(".copy-row", has=tara.locator("#feed-url")).get_by_role(
        "button", name="Copy"
    )
    copy.click()
    tara.get_by_role("button", name="Copied").wait_for()
    assert tara.evaluate("navigator.clipboard.readText()") == feed_url
    tara.get_by_text("Google Calendar", exact=True).click()
    screenshot(tara, "booking-07-settings")
