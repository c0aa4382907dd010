"""A private practice session in two Chromium browsers: A creates it, B joins with the password,
A submits a wrong solution (Wrong Answer), B a right one (Accepted). A sees B's progress live,
but B's code appears nowhere in A's page, A's HTTP responses or A's WebSocket traffic."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from peerlearn.common.testing import make_user
from peerlearn.practice.models import PracticeSession, Solve, Submission
from peerlearn.practice.tests.factories import (
    ADD_WRONG,
    HIDDEN_MARKER,
    make_add_problem,
    require_sandbox,
)

from .live_helpers import media_browsers, pages_in_own_browsers, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e

# B's solution carries a marker that must never reach A.
B_SECRET = "b_private_marker_5521"
B_RIGHT = f"def add_numbers(a, b):\n    {B_SECRET} = a + b\n    return {B_SECRET}\n"


@pytest.fixture
def browsers(live_url: str) -> Iterator[Callable[[], Browser]]:
    yield from media_browsers()


@pytest.fixture
def new_page(browsers: Callable[[], Browser], request: pytest.FixtureRequest) -> Iterator[NewPage]:
    yield from pages_in_own_browsers(browsers, request)


def _set_code(page: Page, code: str) -> None:
    page.wait_for_function(
        "() => Boolean(window.peerlearnPractice && window.peerlearnPractice.editor)"
    )
    page.evaluate("code => window.peerlearnPractice.editor.setValue(code)", code)


def test_a_private_pair_session_shares_progress_but_never_code(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    require_sandbox()
    problem = make_add_problem()
    alice = make_user("alice@example.org", display_name="Alice A")
    bob = make_user("bob@example.org", display_name="Bob B")

    a = new_page()
    sign_in(a.context, live_url, alice)
    seen_by_a: list[str] = []
    a.on("websocket", lambda ws: ws.on("framereceived", lambda frame: seen_by_a.append(str(frame))))

    def keep_body(response) -> None:  # every HTTP answer A's browser gets
        with contextlib.suppress(Exception):  # redirects and aborted requests have no body
            seen_by_a.append(response.text())

    a.on("response", keep_body)

    # A starts a private session on the problem.
    a.goto(f"{live_url}/practice/sessions/?problem={problem.slug}")
    a.get_by_label("Problem").select_option(problem.slug)
    a.get_by_label(re.compile("Private")).check()
    a.get_by_label("Password", exact=True).fill("pair-up-42")
    a.get_by_role("button", name="Start session").click()
    a.wait_for_url(re.compile(r"/practice/s/[0-9a-f-]+/$"))
    session = PracticeSession.objects.get()
    assert session.visibility == "private" and session.host == alice
    a.get_by_text("Waiting for a partner").wait_for()
    session_url = a.url

    # B opens the link: a wrong password is refused, the right one lets B in.
    b = new_page()
    sign_in(b.context, live_url, bob)
    b.goto(session_url)
    b.get_by_label("Password", exact=True).fill("wrong-guess")
    b.get_by_role("button", name="Join the session").click()
    b.get_by_text("That password is not right.").wait_for()
    b.get_by_label("Password", exact=True).fill("pair-up-42")
    b.get_by_role("button", name="Join the session").click()
    b.wait_for_url(session_url)
    b.locator(".monaco-editor").wait_for()

    # A's page notices the partner (it reloads to show them).
    a.locator("#partner-name", has_text="Bob B").wait_for()
    a.locator(".monaco-editor").wait_for()
    assert "has not submitted yet" in a.locator("#partner-progress").inner_text()

    # A submits a wrong solution.
    _set_code(a, ADD_WRONG)
    a.get_by_role("button", name="Submit").click()
    a.locator("#result .verdict-big", has_text="Wrong Answer").wait_for()
    # Judging stops at the first failed hidden test (issue 17): the first one fails.
    assert "0/3 tests passed" in a.locator("#result").inner_text()
    assert str(HIDDEN_MARKER) not in a.locator("#result").inner_text()
    b.locator("#partner-progress", has_text="submitted — 0/3 passed").wait_for()

    # B submits a right one; A sees B's progress live.
    _set_code(b, B_RIGHT)
    b.get_by_role("button", name="Submit").click()
    b.locator("#result .verdict-big", has_text="Accepted").wait_for()
    a.locator("#partner-progress", has_text="submitted — 3/3 passed · Accepted").wait_for()
    screenshot(a, "practice-01-session-host")
    screenshot(b, "practice-02-session-guest")

    verdicts = dict(Submission.objects.values_list("user__email", "verdict"))
    assert verdicts == {"alice@example.org": "wrong_answer", "bob@example.org": "accepted"}
    assert Solve.objects.get().user == bob

    # B's code is nowhere in A's page, HTTP answers or socket frames.
    assert B_SECRET not in a.content()
    assert seen_by_a, "A's traffic was recorded"
    assert not [text for text in seen_by_a if B_SECRET in text]
    assert any("progress" in text and "accepted" in text for text in seen_by_a)

    # A leaves: both end up on the summary, which says who solved it.
    a.locator("#btn-leave").click()
    a.wait_for_url(re.compile(r"/summary/$"))
    summary = a.locator(".summary-grid").inner_text()
    assert "Bob B" in summary and "Solved in" in summary and "Alice A" in summary
    b.get_by_text("The session is over").wait_for()
    screenshot(a, "practice-03-summary")
