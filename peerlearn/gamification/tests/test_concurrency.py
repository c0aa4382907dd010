"""Idempotent awards under real concurrency: duplicate events race on their own threads and
database connections (PostgreSQL), and the ledger, the totals and the badges stay exact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.db import connection
from django.db.models import Sum

from conftest import require
from peerlearn.common.testing import make_tutor, make_user, race
from peerlearn.gamification import rules, services
from peerlearn.gamification.models import BadgeAward, PointAward, PointTotal
from peerlearn.notifications.models import Notification

from .factories import completed_session, make_problem, make_solve

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def postgres() -> None:
    require(connection.vendor == "postgresql", "PostgreSQL")


def assert_totals_equal_the_ledger() -> None:
    sums = dict(
        PointAward.objects.values("user_id").annotate(s=Sum("points")).values_list("user_id", "s")
    )
    totals = {uid: p for uid, p in PointTotal.objects.values_list("user_id", "points") if p}
    assert totals == sums


def test_duplicate_session_events_racing_award_once(postgres: None) -> None:
    tutor, learners = make_tutor(), [make_user() for _ in range(3)]
    booking = completed_session(tutor, learners, ends_at=MONDAY)

    results = race([lambda: rules.award_session_completed(booking.pk) for _ in range(24)])

    assert sum(len(r) for r in results if isinstance(r, list)) == 4
    assert PointAward.objects.count() == 4
    assert PointTotal.objects.get(user=tutor).points == 20
    assert all(PointTotal.objects.get(user=u).points == 10 for u in learners)
    assert_totals_equal_the_ledger()


def test_duplicate_solves_and_reviews_of_many_people_racing_keep_totals_exact(
    postgres: None,
) -> None:
    people = [make_user() for _ in range(4)]
    solves = [make_solve(p, make_problem("medium"), at=MONDAY) for p in people]
    calls = [partial(rules.award_problem_solved, s.pk) for s in solves for _ in range(8)]

    race(calls)

    assert PointAward.objects.count() == 4
    assert all(PointTotal.objects.get(user=p).points == 20 for p in people)
    assert_totals_equal_the_ledger()


def test_racing_sessions_of_one_pair_cannot_slip_past_the_weekly_cap(
    postgres: None, settings
) -> None:
    settings.GAMIFICATION_PAIR_WEEKLY_CAP = 2
    tutor, learner = make_tutor(), make_user()
    bookings = [
        completed_session(tutor, learner, ends_at=MONDAY + timedelta(hours=2 * i)) for i in range(6)
    ]

    calls: list[Callable[[], object]] = [
        partial(rules.award_session_completed, b.pk) for b in bookings for _ in range(3)
    ]
    race(calls)

    assert PointAward.objects.filter(user=learner).count() == 2
    assert PointTotal.objects.get(user=learner).points == 20
    assert PointTotal.objects.get(user=tutor).points == 40
    assert_totals_equal_the_ledger()


def test_a_badge_racing_with_itself_is_earned_and_announced_once(postgres: None) -> None:
    user = make_user()
    make_solve(user, at=MONDAY)

    race([lambda: services.badges_refresh(user_id=user.pk) for _ in range(12)])

    assert list(BadgeAward.objects.filter(user=user).values_list("badge", flat=True)) == [
        "first_accepted"
    ]
    assert Notification.objects.filter(user=user, kind="badge").count() == 1
