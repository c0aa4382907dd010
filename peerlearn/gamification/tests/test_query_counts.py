"""Every gamification list (the leaderboards, my points ledger, the badges; pages and API)
costs the same number of queries with a few rows and with fifty more."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts.models import Institution
from peerlearn.common.testing import make_subject, make_user
from peerlearn.common.tests.querycounts import MANY, assert_flat, logged_in
from peerlearn.gamification import services
from peerlearn.gamification.services import Grant

pytestmark = pytest.mark.django_db


def test_the_gamification_lists_do_not_grow_with_the_rows() -> None:
    uni = Institution.objects.create(name="Uni of Tests", slug="uni")
    subject = make_subject("Graphs")
    viewer = make_user(display_name="Vera", institution=uni)
    objects = itertools.count(1)

    def grant(user_id: int, points: int) -> None:
        services.points_award(
            grant=Grant(
                user_id,
                "problem_solved",
                next(objects),
                points,
                timezone.now(),
                "A solve",
                subject_id=subject.pk,
            )
        )

    def add(n: int) -> None:
        for i in range(n):
            grant(make_user(institution=uni).pk, 100 - i)
            grant(viewer.pk, 1)
        services.badges_refresh(user_id=viewer.pk)

    add(3)
    client = logged_in(viewer)
    board, api = reverse("gamification:leaderboard"), "/api/v1/gamification"
    urls = [
        board,
        f"{board}?period=month",
        f"{board}?scope=subject&id={subject.pk}",
        f"{board}?scope=institution&id={uni.pk}",
        reverse("gamification:me"),
        reverse("gamification:badges"),
        f"{api}/leaderboard",
        f"{api}/leaderboard?period=month&scope=subject&scope_id={subject.pk}",
        f"{api}/leaderboard?scope=institution&scope_id={uni.pk}",
        f"{api}/me/ledger",
        f"{api}/me/badges",
        f"{api}/me/streak",
    ]

    assert_flat([(client, url) for url in urls], lambda: add(MANY))
