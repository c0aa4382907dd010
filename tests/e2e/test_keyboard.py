"""Keyboard only: booking a session (the learner asks, the tutor accepts) and solving a practice
problem, with Tab, Shift+Tab, Enter, Space and typing, never the mouse. Each control used must be
reachable with Tab, show where the focus is, and work from the keyboard."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.practice.models import Solve
from peerlearn.practice.tests.factories import make_add_problem, require_sandbox
from peerlearn.scheduling.models import Booking

from .live_helpers import sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from .conftest import NewPage

pytestmark = pytest.mark.e2e

MAX_TABS = 120


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` (or something inside it) has the focus, which must be shown."""
    target.wait_for()
    handle = target.element_handle()
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(
            "el => el === document.activeElement || el.contains(document.activeElement)", handle
        ):
            outline = page.evaluate(
                "() => getComputedStyle(document.activeElement, ':focus-visible').outlineStyle"
            )
            assert outline != "none", "the focus is not shown"
            return
    raise AssertionError(f"Tab never reaches {target}")


def test_booking_by_keyboard(live_url: str, new_page: NewPage) -> None:
    topic = make_subject("Shortest paths", parent_names=("Computer science", "Algorithms"))
    tutor = make_tutor("tara@example.org", display_name="Tara Tutor", subject=topic)
    learner = make_user("lee@example.org", display_name="Lee Learner")

    lee = new_page()
    sign_in(lee.context, live_url, learner)
    lee.goto(f"{live_url}/people/{tutor.pk}/")
    tab_to(lee, lee.get_by_role("link", name="Book a session"))
    lee.keyboard.press("Enter")
    lee.get_by_role("heading", name="Book a session with Tara Tutor").wait_for()
    tab_to(lee, lee.locator("a.slot").first)
    lee.keyboard.press("Enter")
    confirm = lee.locator("#confirm")
    confirm.get_by_role("heading", name="Request this time").wait_for()
    tab_to(lee, confirm.get_by_label("Note for the tutor"))
    lee.keyboard.type("Dijkstra, please.")
    tab_to(lee, confirm.get_by_role("button", name="Send request"))
    lee.keyboard.press("Enter")
    lee.get_by_text("Request sent to Tara Tutor").wait_for()
    booking = Booking.objects.get()
    assert booking.status == Booking.Status.REQUESTED

    tara = new_page()
    sign_in(tara.context, live_url, tutor)
    tara.goto(f"{live_url}/sessions/")
    tab_to(tara, tara.get_by_role("link", name=re.compile(r"^Requests to me")))
    tara.keyboard.press("Enter")
    row = tara.locator("li.session", has_text="Lee Learner")
    tab_to(tara, row.get_by_role("button", name="Accept"))
    tara.keyboard.press("Enter")
    tara.get_by_text("Confirmed. You both get a calendar invitation").wait_for()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_practice_by_keyboard(live_url: str, new_page: NewPage) -> None:
    require_sandbox()
    make_add_problem()
    ada = make_user("ada@example.org", display_name="Ada L")
    page = new_page()
    sign_in(page.context, live_url, ada)

    page.goto(f"{live_url}/practice/")
    tab_to(page, page.locator("#problem-results").get_by_role("link", name="Add two numbers"))
    page.keyboard.press("Enter")
    page.locator(".monaco-editor").wait_for()
    # Into the editor with Tab; Monaco keeps Tab for indenting until Ctrl+M hands it back.
    tab_to(page, page.locator(".monaco-editor"))
    page.keyboard.press("Control+A")
    page.keyboard.type("def add_numbers(a, b):\n")
    page.keyboard.type("return a + b")
    page.keyboard.press("Control+M")
    tab_to(page, page.get_by_role("button", name="Submit"))
    page.keyboard.press("Enter")
    page.locator(".verdict-big", has_text="Accepted").wait_for()
    assert Solve.objects.filter(user=ada).count() == 1
