"""The site on a 375 px phone and as an installed web app.

Every main page, signed in as the demo learner and the demo tutor, fits 375 px without
horizontal scrolling (screenshots in test-artifacts/screenshots/phone-*.png, for a person to
look at); Chromium finds the site installable (manifest, icons, a service worker), and with the
network gone a page answers with the offline page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from peerlearn.accounts.models import User
from peerlearn.practice.models import Problem
from peerlearn.scheduling.models import Booking

from .accessibility import PEOPLE, demo_world
from .live_helpers import sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


def _pages(tutor: User) -> list[tuple[str, str]]:
    booking = Booking.objects.get()
    problem = Problem.objects.filter(is_published=True).order_by("slug").first()
    assert problem is not None
    return [
        ("home", "/"),
        ("tutors", "/tutors/"),
        ("profile", f"/people/{tutor.pk}/"),
        ("book", f"/sessions/book/{tutor.pk}/"),
        ("sessions", "/sessions/"),
        ("session", f"/sessions/{booking.pk}/"),
        ("room", f"/rooms/join/{booking.pk}/"),
        ("practice", "/practice/"),
        ("problem", f"/practice/problems/{problem.slug}/"),
        ("discussions", "/discussions/"),
        ("messages", "/messages/"),
        ("help", "/help/"),
        ("leaderboard", "/leaderboard/"),
        ("notifications", "/notifications/"),
        ("profile-edit", "/me/profile/"),
        ("availability", "/me/availability/"),
    ]


def _overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the phone (0: no horizontal scrolling). A
    mobile browser widens its layout viewport to fit wide content, so compare with 375 px."""
    width = PHONE["viewport"]["width"]  # type: ignore[index]
    return int(page.evaluate("() => document.documentElement.scrollWidth")) - int(width)


def test_every_main_page_fits_a_phone(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    demo_world()
    tutor = User.objects.get(email=PEOPLE["tutor"])
    too_wide = []
    for who in ("learner", "tutor"):
        page = new_page(**PHONE)
        sign_in(page.context, live_url, User.objects.get(email=PEOPLE[who]))
        for name, path in _pages(tutor):
            response = page.goto(f"{live_url}{path}")
            assert response is not None and response.status < 400, (who, path)
            page.wait_for_load_state("networkidle")
            if _overflow(page) > 0:
                too_wide.append(f"{who} {path}: {_overflow(page)} px too wide")
            screenshot(page, f"phone-{who}-{name}")
    assert not too_wide, "\n".join(too_wide)


def test_the_site_installs_and_answers_offline(live_url: str, new_page: NewPage) -> None:
    page = new_page()
    page.goto(f"{live_url}/")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active !== null)")
    page.reload()  # now under the worker's control
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's browser contexts are incognito ones, where Chromium never installs an app.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == [], errors

    page.context.set_offline(True)
    page.goto(f"{live_url}/sessions/")
    page.get_by_role("heading", name="You are offline").wait_for()
    page.context.set_offline(False)
