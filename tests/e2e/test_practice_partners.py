"""Practice partners in two Chromium browsers: Alice and Bob ask for a partner on the same topic
and difficulty; both land on the same new private practice session page. Alice's page, already
waiting, learns of the match over the partner socket (/ws/practice/partners/) or its 2 s poll."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from peerlearn.common.testing import make_user
from peerlearn.matching.partners.models import PartnerRequest
from peerlearn.practice.models import PracticeSession
from peerlearn.practice.tests.factories import make_add_problem

from .live_helpers import media_browsers, pages_in_own_browsers, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def browsers(live_url: str) -> Iterator[Callable[[], Browser]]:
    yield from media_browsers()


@pytest.fixture
def new_page(browsers: Callable[[], Browser], request: pytest.FixtureRequest) -> Iterator[NewPage]:
    yield from pages_in_own_browsers(browsers, request)


def test_two_learners_asking_for_a_partner_land_in_the_same_session(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    problem = make_add_problem()
    alice = make_user("alice@example.org", display_name="Alice A")
    bob = make_user("bob@example.org", display_name="Bob B")

    a = new_page()
    sign_in(a.context, live_url, alice)
    a.goto(f"{live_url}/practice/partners/")
    a.get_by_label("Topic").select_option("math")
    a.get_by_label("Difficulty").select_option("easy")
    a.get_by_role("button", name="Find a partner").click()
    a.get_by_text("Looking for a partner").wait_for()
    assert "#1 of 1 waiting" in a.locator("#partner-place").inner_text()
    screenshot(a, "partners-01-waiting")

    b = new_page()
    sign_in(b.context, live_url, bob)
    b.goto(f"{live_url}/practice/partners/")
    b.get_by_label("Topic").select_option("math")
    b.get_by_label("Difficulty").select_option("easy")
    b.get_by_role("button", name="Find a partner").click()

    session_url = re.compile(r"/practice/s/[0-9a-f-]+/$")
    b.wait_for_url(session_url)
    a.wait_for_url(session_url)
    assert a.url == b.url
    session = PracticeSession.objects.get()
    assert a.url.endswith(f"/practice/s/{session.uid}/")
    assert {session.host, session.guest} == {alice, bob}
    assert session.status == "active" and session.visibility == "private"
    assert session.problem == problem
    assert set(PartnerRequest.objects.values_list("status", flat=True)) == {"matched"}
    a.locator(".monaco-editor").wait_for()
    b.locator(".monaco-editor").wait_for()
    a.locator("#partner-name", has_text="Bob B").wait_for()
    b.locator("#partner-name", has_text="Alice A").wait_for()
    screenshot(a, "partners-02-session")
