"""Tutor search in Chromium: a learner narrows the list with filters (the URL follows each
change), opens a tutor from the results and requests a session through the profile's
"Book a session" flow."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.scheduling.models import Booking

from .live_helpers import sign_in

if TYPE_CHECKING:
    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e


def test_a_learner_filters_tutors_and_books_one_from_the_results(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    graphs = make_subject("Graphs", parent_names=("Computer science", "Algorithms"))
    sorting = make_subject("Sorting", parent_names=("Computer science", "Algorithms"))
    tutor = make_tutor("tara@example.org", display_name="Tara Graphs", subject=graphs)
    other = make_tutor("sam@example.org", display_name="Sam Sorts", subject=sorting)
    other.profile.languages = ["fr"]
    other.profile.save()
    tutor.profile.languages = ["en"]
    tutor.profile.save()
    learner = make_user("lee@example.org", display_name="Lee Learner")

    page = new_page()
    sign_in(page.context, live_url, learner)
    page.goto(f"{live_url}/tutors/")
    results = page.locator("#results")
    results.get_by_role("link", name="Sam Sorts").wait_for()
    assert "Tara Graphs" in results.inner_text()

    page.get_by_label("Language").select_option("en")
    page.wait_for_url(re.compile(r"language=en"))
    results.get_by_role("link", name="Tara Graphs").wait_for()
    page.wait_for_function(
        "() => !document.querySelector('#results').innerText.includes('Sam Sorts')"
    )

    page.get_by_label("Search").fill("Graphs")
    page.wait_for_url(re.compile(r"q=Graphs"))
    screenshot(page, "matching-01-filtered")

    page.locator("#results").get_by_role("link", name="Tara Graphs").click()
    page.wait_for_url(re.compile(rf"/people/{tutor.pk}/$"))
    page.get_by_role("link", name="Book a session").click()
    page.get_by_role("heading", name="Book a session with Tara Graphs").wait_for()
    page.locator("a.slot").first.click()
    confirm = page.locator("#confirm")
    confirm.get_by_role("heading", name="Request this time").wait_for()
    confirm.get_by_role("button", name="Send request").click()
    page.get_by_text("Request sent to Tara Graphs").wait_for()
    booking = Booking.objects.get()
    assert booking.tutor_id == tutor.pk and booking.status == Booking.Status.REQUESTED
