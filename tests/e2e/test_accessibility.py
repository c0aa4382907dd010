"""axe-core over every page a person can reach, signed out and as a learner, a tutor, a
moderator and an admin, in the light and the dark theme: no critical or serious violation.

The pages are found by following links from the home page (one page per kind: /bookings/7/ and
/bookings/8/ are one page); the demo data (seed_demo, the problem bank, the forum's demo
threads) plus a booking, a practice session and a conversation give each kind of page content.
The dark theme is checked for colour contrast, the one rule the theme changes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.contrib import admin

from peerlearn.accounts.models import User
from peerlearn.guide.pages import all_guides

from .accessibility import BLOCKING, PEOPLE, Violation, crawl, demo_world, violations_of
from .live_helpers import sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import NewPage

pytestmark = pytest.mark.e2e

PAGES_PER_PERSON = 45
SIGNED_OUT_START = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
SIGNED_IN_START = ["/"]


# The admin console (issue 14): every list, add and change page of every model, and the console's
# own pages; not the pages that change something by being opened or that leave the console.
ADMIN_SKIPPED = re.compile(r"logout|/delete/|/history/|/password/|/r/\d|^/admin/jsi18n/")
ADMIN_PAGES = 400


def _check(page: Page, base: str, who: str, start: list[str]) -> list[Violation]:
    found: list[Violation] = []
    for path in crawl(page, base, start=start, limit=PAGES_PER_PERSON):
        where = f"{who} {path}"
        found += violations_of(page, where, "light")
        page.emulate_media(color_scheme="dark")
        found += violations_of(page, where, "dark", only=["color-contrast"])
        page.emulate_media(color_scheme="light")
    return found


def test_no_page_has_a_critical_or_serious_violation(live_url: str, new_page: NewPage) -> None:
    demo_world()
    found = _check(new_page(), live_url, "signed-out", SIGNED_OUT_START)
    for who, email in PEOPLE.items():
        page = new_page()
        sign_in(page.context, live_url, User.objects.get(email=email))
        found += _check(page, live_url, who, SIGNED_IN_START)

    for violation in found:
        print(violation)
    blocking = [str(v) for v in found if v.impact in BLOCKING]
    assert not blocking, "\n".join(blocking)


def test_the_guides_have_no_critical_or_serious_violation(live_url: str, new_page: NewPage) -> None:
    """Every guide page (issue 21), the index and a search, and the API reference, by a learner,
    light and dark: the crawl above stops at its page budget and skips /api/, so these pages
    are checked one by one."""
    demo_world()
    page = new_page()
    sign_in(page.context, live_url, User.objects.get(email=PEOPLE["learner"]))
    paths = ["/guide/", "/guide/?q=calendar", "/privacy/", "/terms/", "/api/v1/docs"]
    paths += [f"/guide/{guide.slug}/" for guide in all_guides() if guide.section != "policy"]
    found: list[Violation] = []
    for path in paths:
        page.goto(live_url + path)
        found += violations_of(page, f"learner {path}", "light")
        page.emulate_media(color_scheme="dark")
        found += violations_of(page, f"learner {path}", "dark", only=["color-contrast"])
        page.emulate_media(color_scheme="light")
    for violation in found:
        print(violation)
    blocking = [str(v) for v in found if v.impact in BLOCKING]
    assert not blocking, "\n".join(blocking)


def test_the_admin_console_has_no_critical_or_serious_violation(
    live_url: str, new_page: NewPage
) -> None:
    """Django's admin is what operators live in (issue 14): crawled from its index as the demo
    admin, light and dark, with the same rules as the site; every model's list is among the
    pages checked."""
    demo_world()
    page = new_page()
    sign_in(page.context, live_url, User.objects.get(email=PEOPLE["admin"]))
    found: list[Violation] = []
    checked: set[str] = set()
    for path in crawl(
        page, live_url, start=["/admin/"], limit=ADMIN_PAGES, skip=ADMIN_SKIPPED, within="/admin/"
    ):
        checked.add(path)
        found += violations_of(page, f"admin {path}", "light")
        page.emulate_media(color_scheme="dark")
        page.reload()  # the admin's links fade their colour in: judge the dark theme at rest
        found += violations_of(page, f"admin {path}", "dark", only=["color-contrast"])
        page.emulate_media(color_scheme="light")

    lists = {f"/admin/{m._meta.app_label}/{m._meta.model_name}/" for m in admin.site._registry}
    assert lists <= checked, sorted(lists - checked)
    for violation in found:
        print(violation)
    blocking = [str(v) for v in found if v.impact in BLOCKING]
    assert not blocking, "\n".join(blocking)
