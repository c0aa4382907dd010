"""Practising alone in Chromium: find a problem in the bank, write code in the Monaco editor
(the draft survives a reload), Run it on custom input, Submit it, and see the progress page
count the solve and start a streak."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from peerlearn.common.testing import make_user
from peerlearn.practice.models import Draft, Solve
from peerlearn.practice.tests.factories import make_add_problem, make_stdio_problem, require_sandbox

from .live_helpers import sign_in

if TYPE_CHECKING:
    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e


def test_a_learner_solves_a_problem_alone(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    require_sandbox()
    make_add_problem()
    make_stdio_problem()
    ada = make_user("ada@example.org", display_name="Ada L")
    page = new_page()
    sign_in(page.context, live_url, ada)

    # The bank: filtering by difficulty updates the list and the URL.
    page.goto(f"{live_url}/practice/")
    rows = page.locator(".problem-table tbody tr")
    assert rows.count() == 2
    page.get_by_label("Difficulty").select_option("medium")
    page.wait_for_url(re.compile(r"difficulty=medium"))
    rows.filter(has_text="Sum the lines").wait_for()
    assert rows.count() == 1
    page.get_by_label("Difficulty").select_option("easy")
    rows.filter(has_text="Add two numbers").wait_for()
    screenshot(page, "practice-10-bank")
    rows.get_by_role("link", name="Add two numbers").click()

    # The workspace opens on the starter code; typing autosaves a draft.
    editor = page.locator(".monaco-editor")
    editor.wait_for()
    assert "def add_numbers(a: int, b: int) -> int:" in page.evaluate(
        "window.peerlearnPractice.editor.getValue()"
    )
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("def add_numbers(a, b):\n")
    page.keyboard.type("return a + b")
    page.get_by_text("Draft saved").wait_for()
    assert Draft.objects.get(user=ada, language="python").code.strip().endswith("return a + b")
    page.reload()
    editor.wait_for()
    assert (
        page.evaluate("window.peerlearnPractice.editor.getValue()").strip().endswith("return a + b")
    )

    # Run on custom input: the output shows, with no expected answer.
    page.get_by_label("Run with my own input").check()
    page.locator("#custom-input").fill("[40, 2]")
    page.get_by_role("button", name="Run").click()
    result = page.locator("#result")
    result.locator(".verdict-big", has_text="Ran").wait_for()
    assert "42" in result.inner_text()

    # A bad custom input is explained, not a crash.
    page.get_by_role("tab", name="Tests").click()
    page.locator("#custom-input").fill("[40")
    page.get_by_role("button", name="Run").click()
    result.get_by_text("JSON array").wait_for()

    # A wrong Submit says which hidden test failed first, and nothing of its input.
    code = page.evaluate("window.peerlearnPractice.editor.getValue()")
    page.evaluate(
        "window.peerlearnPractice.editor.setValue('def add_numbers(a, b):\\n    return a - b\\n')"
    )
    page.get_by_role("button", name="Submit").click()
    result.locator(".verdict-big", has_text="Wrong Answer").wait_for()
    result.get_by_text("Failed on hidden test").wait_for()
    screenshot(page, "practice-11a-hidden-test-failed")
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "practice-11b-hidden-test-failed-375")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.evaluate("code => window.peerlearnPractice.editor.setValue(code)", code)

    # Submit: every hidden test passes.
    page.get_by_role("button", name="Submit").click()
    result.locator(".verdict-big", has_text="Accepted").wait_for()
    assert "3/3 tests passed" in result.inner_text()
    page.get_by_role("tab", name="My submissions").click()
    page.locator("#history").get_by_text("Accepted").wait_for()
    screenshot(page, "practice-11-workspace-accepted")
    assert Solve.objects.filter(user=ada).count() == 1

    # Progress: one easy problem solved, a one-day streak, the medium one recommended.
    page.goto(f"{live_url}/practice/progress/")
    card = page.locator(".progress-card")
    assert "1 day streak" in card.inner_text()
    assert "1/1" in card.locator(".difficulty-bars li", has_text="Easy").inner_text()
    assert "Sum the lines" in card.locator(".recommend").inner_text()
    screenshot(page, "practice-12-progress")

    # The lobby (empty) and the form to start a session.
    page.goto(f"{live_url}/practice/sessions/")
    page.get_by_text("No open sessions right now").wait_for()
    screenshot(page, "practice-13-sessions")
