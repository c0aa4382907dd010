"""Completed sessions and reviews for the reviews tests."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.reviews import services
from peerlearn.reviews.models import Review
from peerlearn.scheduling.models import Booking, TimeClaim

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
ENDED = NOW - timedelta(hours=1)  # the default session ended an hour ago

TUTOR_SCORES = {"clarity": 5, "knowledge": 4, "patience": 5, "punctuality": 4}
LEARNER_SCORES = {"preparedness": 3, "engagement": 4}
_slots = itertools.count()


def completed_booking(
    tutor: User,
    learners: list[User],
    *,
    ends_at: datetime | None = None,
    status: str = Booking.Status.COMPLETED,
) -> Booking:
    """A finished session stored directly (the scheduling rules are tested elsewhere). By
    default it ended recently: each one two hours before the previous, so that one person's
    sessions never overlap (PostgreSQL's exclusion constraint on time claims)."""
    if ends_at is None:
        ends_at = ENDED - timedelta(hours=2 * (next(_slots) % 100))
    starts_at = ends_at - timedelta(hours=1)
    group = len(learners) > 1
    booking = Booking.objects.create(
        kind=Booking.Kind.GROUP if group else Booking.Kind.ONE_TO_ONE,
        tutor=tutor,
        subject=make_subject("Graph theory"),
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=max(len(learners), 1) if group else 1,
        status=status,
        created_by=learners[0] if learners else tutor,
    )
    TimeClaim.objects.create(
        booking=booking, user=tutor, role=TimeClaim.Role.TUTOR, starts_at=starts_at, ends_at=ends_at
    )
    for learner in learners:
        TimeClaim.objects.create(
            booking=booking,
            user=learner,
            role=TimeClaim.Role.LEARNER,
            starts_at=starts_at,
            ends_at=ends_at,
        )
    return booking


def people() -> tuple[User, User]:
    tutor = make_tutor("tara@example.org", display_name="Tara")
    learner = make_user("lee@example.org", display_name="Lee")
    return tutor, learner


def learner_review(
    booking: Booking,
    learner: User,
    *,
    comment: str = "",
    tags: list[str] | None = None,
    scored: dict[str, int] | None = None,
    **overrides: int,
) -> Review:
    return services.review_submit(
        actor=learner,
        booking_id=booking.pk,
        scores={**TUTOR_SCORES, **(scored or {}), **overrides},
        comment=comment,
        tags=tags or [],
    )


def tutor_review(
    booking: Booking, tutor: User, learner: User, *, comment: str = "", **scores: int
) -> Review:
    return services.review_submit(
        actor=tutor,
        booking_id=booking.pk,
        subject_id=learner.pk,
        scores={**LEARNER_SCORES, **scores},
        comment=comment,
    )


def rated_tutor(overalls: list[int], *, name: str = "Tutor") -> User:
    """A tutor with one completed, revealed session per entry, each rated that many stars on
    every dimension by a fresh learner (revealed because the tutor reviewed back)."""
    tutor = make_tutor(display_name=name)
    for stars in overalls:
        learner = make_user()
        booking = completed_booking(tutor, [learner])
        learner_review(
            booking, learner, clarity=stars, knowledge=stars, patience=stars, punctuality=stars
        )
        tutor_review(booking, tutor, learner)
    return tutor


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def put_json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.put(url, json.dumps(body), content_type="application/json")
