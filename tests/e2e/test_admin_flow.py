"""Operating PeerLearn in Chromium: an administrator finds a person on the admin's home page and
suspends them — their open room socket closes at once and they are told why when they try to
sign in again; a learner exports their data (after confirming their password) and deletes
their account."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common.testing import PASSWORD, make_admin, make_tutor, make_user
from peerlearn.forum.tests.factories import make_thread

from .live_helpers import media_browsers, open_booking, pages_in_own_browsers, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e

REASON = "Abusive messages to several tutors."


@pytest.fixture
def browsers(live_url: str) -> Iterator[Callable[[], Browser]]:
    yield from media_browsers()


@pytest.fixture
def new_page(browsers: Callable[[], Browser], request: pytest.FixtureRequest) -> Iterator[NewPage]:
    """Each person in a Chromium of their own (the room page asks for a camera)."""
    yield from pages_in_own_browsers(browsers, request)


def _sign_in_form(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.I)).click()


def test_an_administrator_finds_and_suspends_a_person_whose_room_then_closes(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    admin = make_admin("ops@example.org")
    tutor, learner = make_tutor(display_name="Tara"), make_user("lee@example.org")
    booking = open_booking(tutor, learner)

    # The learner is in their session's room, connected.
    lee = new_page()
    sign_in(lee.context, live_url, learner)
    lee.goto(f"{live_url}/rooms/join/{booking.pk}/")
    lee.wait_for_url(re.compile(r"/rooms/\d+/$"))
    lee.wait_for_function("() => window.peerlearnRoom?.socket?.status === 'open'")

    # The administrator signs in, finds the person from the admin's home page...
    ops = new_page()
    _sign_in_form(ops, live_url, admin.email)
    ops.goto(f"{live_url}/admin/")
    ops.get_by_role("heading", name="Find a person").wait_for()
    screenshot(ops, "admin-01-home")
    ops.get_by_label("Email or name").fill("lee@")
    ops.get_by_role("button", name="Search").click()
    row = ops.locator("#result_list tbody tr", has_text="lee@example.org")
    row.wait_for()
    assert ops.locator("#result_list tbody tr").count() == 1

    # ...and suspends them, giving the reason the action asks for.
    row.locator("input.action-select").check()
    ops.locator("select[name=action]").select_option("suspend")
    ops.get_by_role("button", name="Run").click()
    ops.get_by_label("Reason").fill(REASON)
    screenshot(ops, "admin-02-suspend-reason")
    ops.get_by_role("button", name="Suspend").click()
    ops.get_by_text("Suspend: done for 1 item.").wait_for()
    screenshot(ops, "admin-03-suspended")

    # The learner's room closes at once and says why.
    lee.locator("#room-ended").wait_for(state="visible")
    assert "signed out" in lee.locator("#room-ended-title").inner_text()
    assert "suspended" in lee.locator("#room-ended-text").inner_text()
    assert lee.evaluate("() => window.peerlearnRoom.socket.status") != "open"
    screenshot(lee, "admin-04-room-closed-on-suspension")

    # Signing in again shows the reason and how to appeal, at phone width too.
    again = new_page(viewport={"width": 375, "height": 740})
    _sign_in_form(again, live_url, learner.email)
    again.get_by_role("heading", name="Your account is suspended").wait_for()
    assert REASON in again.get_by_test_id("suspension-reason").inner_text()
    screenshot(again, "admin-05-suspended-sign-in-375")

    # The audit log has it.
    ops.goto(f"{live_url}/admin/accounts/auditentry/")
    ops.get_by_role("cell", name=REASON).wait_for()
    screenshot(ops, "admin-06-audit-log")


def test_a_learner_exports_their_data_and_deletes_their_account(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    learner = make_user("dana@example.org", display_name="Dana Learner")
    thread = make_thread(author=learner, title="How do I start with dynamic programming?")
    page = new_page()
    _sign_in_form(page, live_url, learner.email)

    # The data page first asks for the password again.
    page.goto(f"{live_url}/me/data/")
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/me/data/$"))
    page.get_by_role("button", name="Prepare my archive").click()
    page.get_by_text("We are preparing your archive").wait_for()
    page.reload()
    with page.expect_download() as download_info:
        page.get_by_test_id("export-download").click()
    archive = zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes()))
    assert "account.json" in archive.namelist() and "forum_threads.json" in archive.namelist()
    assert b"dynamic programming" in archive.read("forum_threads.json")
    screenshot(page, "data-01-export-ready")

    # Delete: scheduled, with an undo; at phone width too.
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_test_id("deletion-scheduled").wait_for()
    page.set_viewport_size({"width": 375, "height": 740})
    screenshot(page, "data-02-deletion-scheduled-375")
    page.set_viewport_size({"width": 1280, "height": 800})

    # When the grace period is over, the hourly job deletes it: signed out, the thread stays.
    User.objects.filter(pk=learner.pk).update(deletion_due_at=timezone.now())
    call_command("account_housekeeping")
    page.goto(f"{live_url}/me/data/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.goto(f"{live_url}/discussions/t/{thread.pk}/")
    page.get_by_text("A former member").first.wait_for()
    screenshot(page, "data-03-thread-after-deletion")
