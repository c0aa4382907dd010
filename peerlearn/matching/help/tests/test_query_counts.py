"""Every help-request list (my requests, offers made to me; pages and API) costs the same
number of queries with a few rows and with fifty more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.common.tests.querycounts import MANY, assert_flat, logged_in
from peerlearn.matching.help.models import HelpOffer, HelpRequest

pytestmark = pytest.mark.django_db


def test_the_help_lists_do_not_grow_with_the_rows() -> None:
    topic = make_subject("Recursion")
    viewer, tutor = make_tutor(display_name="Vera", subject=topic), make_tutor(subject=topic)
    now = timezone.now()

    def request_by(learner: User, i: int) -> HelpRequest:
        return HelpRequest.objects.create(
            learner=learner,
            subject=topic,
            description=f"Stuck on exercise {i}",
            starts_at=now + timedelta(days=1, hours=i),
            duration_minutes=30,
            round_ends_at=now + timedelta(minutes=5),
        )

    def add(n: int) -> None:
        for i in range(n):
            mine = request_by(viewer, i)
            HelpOffer.objects.create(
                request=mine, tutor=tutor, round=1, rank=1, offered_at=now, explanation="Close"
            )
            theirs = request_by(make_user(), i)
            HelpOffer.objects.create(
                request=theirs, tutor=viewer, round=1, rank=1, offered_at=now, explanation="Near"
            )

    add(3)
    client = logged_in(viewer)
    urls = [
        reverse("matching_help:index"),
        reverse("matching_help:mine"),
        reverse("matching_help:offers"),
        reverse("matching_help:offers") + "?partial=1",
        "/api/v1/help-requests",
        "/api/v1/help-offers",
        "/api/v1/help-offers?pending=true",
    ]

    assert_flat([(client, url) for url in urls], lambda: add(MANY))
