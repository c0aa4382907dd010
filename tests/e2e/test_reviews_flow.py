"""Reviews and reputation in two Chromium browsers: after a session is marked complete, the
learner and the tutor each review the other; neither sees the other's review until both have
written theirs; then both do. The tutor's profile rating and the weekly leaderboard change."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.gamification.models import PointAward
from peerlearn.reviews.models import Review
from peerlearn.reviews.selectors import tutor_rating

from .live_helpers import open_booking, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e


def _stars(page: Page, dimension: str, stars: int) -> None:
    field = page.locator("fieldset.star-field", has_text=dimension)
    field.locator(f"label[title='{stars} star{'s' if stars > 1 else ''}']").click()


def _board_points(page: Page, base: str, name: str) -> str:
    page.goto(f"{base}/leaderboard/?period=week&scope=global")
    row = page.locator(".board-row", has_text=name)
    return row.locator(".pts").inner_text() if row.count() else ""


def test_both_sides_review_blind_then_see_each_other(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    topic = make_subject("Dynamic programming", parent_names=("Computer science", "Algorithms"))
    tutor = make_tutor("tara@example.org", display_name="Tara Tutor", subject=topic)
    learner = make_user("lee@example.org", display_name="Lee Learner")
    booking = open_booking(tutor, learner, starts_in=-timedelta(minutes=70))  # ended 10 min ago

    lee, tara = new_page(), new_page()
    sign_in(lee.context, live_url, learner)
    sign_in(tara.context, live_url, tutor)

    # Before: no rating on the tutor's profile, nobody on this week's board.
    lee.goto(f"{live_url}/people/{tutor.pk}/")
    lee.get_by_text("No ratings yet").wait_for()
    assert _board_points(lee, live_url, "Tara Tutor") == ""

    # The learner marks the session completed and is offered to review it.
    lee.goto(f"{live_url}/sessions/{booking.pk}/")
    lee.get_by_role("button", name="Mark completed").click()
    lee.get_by_role("link", name="Review this session").click()
    lee.wait_for_url(re.compile(rf"/reviews/bookings/{booking.pk}/$"))
    for dimension, stars in (("Clarity", 5), ("Knowledge", 5), ("Patience", 4), ("Punctuality", 5)):
        _stars(lee, dimension, stars)
    lee.get_by_label("great examples", exact=False).first.check()
    lee.get_by_label("Comment").fill("Tara's memoisation walkthrough finally made it click.")
    lee.get_by_role("button", name=re.compile("Submit", re.I)).click()
    lee.get_by_text("Tara Tutor has not reviewed you yet").wait_for()

    # The tutor got a review request in the bell and sees that Lee wrote one, but not what.
    tara.goto(f"{live_url}/notifications/")
    tara.locator("main").get_by_text(re.compile("review", re.I)).first.wait_for()
    tara.goto(f"{live_url}/reviews/bookings/{booking.pk}/")
    tara.get_by_text("Lee Learner has written a review of you").wait_for()
    assert "memoisation" not in tara.content()
    screenshot(tara, "reviews-01-blind")
    # Nor through the tutor's public profile yet: the rating counts revealed reviews only.
    tara.goto(f"{live_url}/people/{tutor.pk}/")
    tara.get_by_text("No ratings yet").wait_for()

    # The tutor reviews the learner: now both are revealed.
    tara.goto(f"{live_url}/reviews/bookings/{booking.pk}/")
    _stars(tara, "Preparedness", 4)
    _stars(tara, "Engagement", 5)
    tara.get_by_label("Comment").fill("Lee came with good questions about knapsack variants.")
    tara.get_by_role("button", name=re.compile("Submit", re.I)).click()
    tara.get_by_text("Tara's memoisation walkthrough finally made it click.").wait_for()
    lee.reload()
    lee.get_by_text("Lee came with good questions about knapsack variants.").wait_for()
    screenshot(lee, "reviews-02-revealed")
    assert Review.objects.filter(booking=booking).count() == 2

    # The tutor's profile shows the weighted rating of the revealed review.
    expected = f"{tutor_rating(tutor).bayesian:.1f}"
    lee.goto(f"{live_url}/people/{tutor.pk}/")
    card = lee.locator(".rating-card").first
    assert card.locator(".rating-num").inner_text() == expected
    assert "from 1 review" in card.inner_text()
    assert "memoisation walkthrough" in card.inner_text()
    screenshot(lee, "reviews-03-tutor-profile")

    # And the leaderboard: teaching + reviewing, taking part + reviewing, from the ledger.
    tutor_points = sum(PointAward.objects.filter(user=tutor).values_list("points", flat=True))
    learner_points = sum(PointAward.objects.filter(user=learner).values_list("points", flat=True))
    assert tutor_points > learner_points > 0
    assert _board_points(lee, live_url, "Tara Tutor").startswith(str(tutor_points))
    assert _board_points(lee, live_url, "Lee Learner").startswith(str(learner_points))
    screenshot(lee, "reviews-04-leaderboard")
