"""Every reviews list (my pending, written and received reviews, the moderators' queue, a
tutor's profile with its reviews; pages and API) costs the same number of queries with a few
rows and with fifty more."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from peerlearn.common.testing import make_moderator, make_tutor, make_user
from peerlearn.common.tests.querycounts import MANY, assert_flat, logged_in
from peerlearn.reviews import services

from .factories import ENDED, completed_booking, learner_review, tutor_review

pytestmark = pytest.mark.django_db


def test_the_review_lists_do_not_grow_with_the_rows() -> None:
    viewer, moderator = make_tutor(display_name="Vera"), make_moderator()
    other_tutor = make_tutor()
    hours = itertools.count()  # the viewer's sessions one after another, an hour each

    def ended() -> datetime:
        return ENDED - timedelta(hours=next(hours))

    def add(n: int) -> None:
        for i in range(n):
            learner = make_user()
            booking = completed_booking(viewer, [learner], ends_at=ended())
            learner_review(booking, learner, comment=f"Clear, thank you ({i})", tags=[])
            theirs = tutor_review(booking, viewer, learner, comment="Well prepared")
            services.review_report(actor=learner, review_id=theirs.pk, reason="Unfair")
            # A session whose review the viewer still owes.
            completed_booking(other_tutor, [viewer], ends_at=ended())

    add(3)
    mine, moderating = logged_in(viewer), logged_in(moderator)
    page = reverse("reviews:mine")
    pages = [(mine, f"{page}?tab={tab}") for tab in ("pending", "written", "received")]
    pages += [
        (moderating, reverse("reviews:moderation")),
        (mine, reverse("accounts:profile", args=[viewer.pk])),
        (mine, "/api/v1/me/reviews/pending"),
        (mine, "/api/v1/me/reviews/written"),
        (mine, "/api/v1/me/reviews/received"),
        (moderating, "/api/v1/moderation/reviews"),
        (mine, f"/api/v1/users/{viewer.pk}/rating"),
    ]

    assert_flat(pages, lambda: add(MANY))
