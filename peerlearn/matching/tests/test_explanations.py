"""Every claim of every explanation is checked against the data, computed another way: shared
free time from both calendars in their zones (to the minute), ratings, sessions, verification
in the learner's own topic, "went well" only after sessions the learner rated ≥ 4, languages,
styles, distance — and each listed reason raised the score."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
import time_machine

from peerlearn.accounts.models import TeachingSubject, User
from peerlearn.accounts.selectors import rounded_distance_km
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.matching.index import invalidate
from peerlearn.matching.quality import forget
from peerlearn.matching.ranker import current_model
from peerlearn.matching.recommend import FEATURES, NEUTRAL, Recommendation, top_tutors
from peerlearn.reviews.models import Review
from peerlearn.reviews.selectors import tutor_rating
from peerlearn.reviews.services import rating_totals_rebuild
from peerlearn.scheduling.models import Booking, TimeClaim
from peerlearn.scheduling.selectors import free_intervals, intersect

pytestmark = pytest.mark.django_db
NOW = datetime(2030, 6, 3, 6, 0, tzinfo=UTC)  # a Monday
_minutes = itertools.count()


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    invalidate()
    forget()
    with time_machine.travel(NOW, tick=False):
        yield


def past_session(tutor: User, learner: User, subject_id: int, stars: int | None) -> Booking:
    starts = NOW - timedelta(days=40, minutes=next(_minutes) * 90)
    booking = Booking.objects.create(
        tutor=tutor,
        subject_id=subject_id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status=Booking.Status.COMPLETED,
        created_by=learner,
    )
    for user, role in ((tutor, TimeClaim.Role.TUTOR), (learner, TimeClaim.Role.LEARNER)):
        TimeClaim.objects.create(
            booking=booking,
            user=user,
            role=role,
            starts_at=starts,
            ends_at=booking.ends_at,
            active=False,
        )
    if stars is not None:
        Review.objects.create(
            booking=booking,
            author=learner,
            subject=tutor,
            direction=Review.Direction.OF_TUTOR,
            clarity=stars,
            knowledge=stars,
            patience=stars,
            punctuality=stars,
            overall=Decimal(stars),
        )
    return booking


def upcoming(tutor: User, learner: User, subject_id: int, starts: datetime) -> None:
    booking = Booking.objects.create(
        tutor=tutor,
        subject_id=subject_id,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=45),
        status=Booking.Status.CONFIRMED,
        created_by=learner,
    )
    for user, role in ((tutor, TimeClaim.Role.TUTOR), (learner, TimeClaim.Role.LEARNER)):
        TimeClaim.objects.create(
            booking=booking, user=user, role=role, starts_at=starts, ends_at=booking.ends_at
        )


def world() -> dict[str, object]:
    topic = make_subject("Graphs")
    sibling = make_subject("Sorting")
    learner = make_user(
        timezone="Europe/Berlin",
        languages=["de"],
        learning_styles=["visual"],
        session_formats=["one_to_one"],
        latitude=52.52,
        longitude=13.40,
    )
    from datetime import time

    from peerlearn.accounts import services

    services.availability_replace(
        actor=learner,
        user=learner,
        windows=[services.WindowInput(d, time(17, 0), time(20, 15)) for d in range(5)],
    )
    no_calendar = make_user(timezone="UTC", languages=["en"])
    zones = ["America/New_York", "Asia/Kolkata", "UTC", "Europe/Berlin", "Europe/Lisbon"]
    windows = [
        [(d, "11:30", "14:45") for d in range(5)],  # New York midday = Berlin evening
        [(d, "21:00", "23:30") for d in range(7)],  # Kolkata night = Berlin afternoon/evening
        [(d, "16:10", "18:40") for d in (0, 2, 4)],
        [(d, "18:00", "19:00") for d in range(7)],
        [(5, "09:00", "12:00")],  # Saturdays only: no overlap
    ]
    tutors = []
    for i, (zone, spec) in enumerate(zip(zones, windows, strict=True)):
        tutor = make_tutor(timezone=zone, windows=spec, subject=topic, display_name=f"T{i}")
        p = tutor.profile
        p.languages = ["de", "en"] if i % 2 == 0 else ["en"]
        p.learning_styles = ["visual"] if i < 2 else ["hands_on"]
        p.latitude, p.longitude = (52.5 + i * 0.3, 13.4 + i * 0.2) if i != 4 else (None, None)
        p.save()
        tutors.append(tutor)
    from peerlearn.accounts import services as accounts

    accounts.teaching_subject_set(actor=tutors[2], subject_id=sibling.pk, proficiency="expert")
    TeachingSubject.objects.filter(user=tutors[2], subject=sibling).update(verified_at=NOW)
    TeachingSubject.objects.filter(user=tutors[3], subject=topic).update(verified_at=NOW)
    past_session(tutors[0], learner, topic.pk, 5)
    past_session(tutors[0], learner, topic.pk, 4)
    past_session(tutors[1], learner, topic.pk, 2)  # did not go well
    past_session(tutors[3], learner, topic.pk, None)  # completed, never rated
    for _ in range(3):  # others rate T2 well in the topic
        past_session(tutors[2], make_user(), topic.pk, 5)
    upcoming(tutors[3], make_user(), topic.pk, NOW + timedelta(days=1, hours=11))  # busy then
    rating_totals_rebuild()
    invalidate()
    return {"topic": topic, "learner": learner, "no_calendar": no_calendar, "tutors": tutors}


def shared_minutes_independently(learner: User, tutor: User) -> int:
    """Both people's free intervals from the scheduling selectors (per person), minus their
    active sessions, intersected."""
    end = NOW + timedelta(days=14)

    def free(user: User) -> list[tuple[datetime, datetime]]:
        out = []
        busy = list(
            TimeClaim.objects.filter(
                user=user, active=True, starts_at__lt=end, ends_at__gt=NOW
            ).values_list("starts_at", "ends_at")
        )
        for s, e in free_intervals(user, NOW, end):
            pieces = [(s, e)]
            for bs, be in busy:
                pieces = [
                    p
                    for ps, pe in pieces
                    for p in ((ps, min(pe, bs)), (max(ps, be), pe))
                    if p[0] < p[1]
                ]
            out += pieces
        return sorted(out)

    both = intersect(free(learner), free(tutor))
    return int(sum((e - s).total_seconds() for s, e in both) // 60)


def check(rec: Recommendation, learner: User, topic_id: int, weights: np.ndarray) -> set[str]:
    tutor = User.objects.select_related("profile").get(pk=rec.tutor_id)
    kinds = set()
    for claim in rec.claims:
        kinds.add(claim.kind)
        assert claim.text in rec.explanation
        if claim.kind != "subject":
            i = FEATURES.index(
                {
                    "shared_time": "shared_time",
                    "rating": "rating",
                    "experience": "experience",
                    "verified": "verified",
                    "response": "response",
                    "language": "language",
                    "style_fit": "style_fit",
                    "went_well": "past_outcomes",
                    "distance": "distance",
                    "quality": "quality",
                }[claim.kind]
            )
            assert weights[i] * (rec.parts[FEATURES[i]] - NEUTRAL[i]) > 0, claim
        if claim.kind == "shared_time":
            minutes = shared_minutes_independently(learner, tutor)
            assert claim.value == minutes > 0
            h, m = divmod(minutes, 60)
            assert claim.text.startswith(f"{h} h {m:02d} min" if m else f"{h} h ")
        elif claim.kind == "rating":
            shown = tutor_rating(tutor)
            assert f"{shown.bayesian:.1f}★ from {shown.count} review" in claim.text
        elif claim.kind == "experience":
            done = Booking.objects.filter(tutor=tutor, status=Booking.Status.COMPLETED).count()
            assert claim.text.startswith(f"{done} session")
        elif claim.kind == "verified":
            assert TeachingSubject.objects.filter(
                user=tutor, subject_id=topic_id, verified_at__isnull=False
            ).exists()
        elif claim.kind == "went_well":
            stars = list(
                Review.objects.filter(author=learner, subject=tutor).values_list(
                    "overall", flat=True
                )
            )
            assert stars and min(stars) >= 4
        elif claim.kind == "language":
            assert set(tutor.profile.languages) & set(learner.profile.languages)
        elif claim.kind == "style_fit":
            assert set(tutor.profile.learning_styles) & set(learner.profile.learning_styles) or (
                set(tutor.profile.session_formats) & set(learner.profile.session_formats)
            )
        elif claim.kind == "distance":
            assert f"{rounded_distance_km(learner.profile, tutor.profile)} km" in claim.text
        elif claim.kind == "quality":
            rated = Review.objects.filter(
                subject=tutor, booking__subject_id=topic_id, direction="of_tutor"
            ).count()
            assert rated >= 2 and f"{int(claim.value)} " in claim.text
    return kinds


def test_every_claim_of_every_explanation_is_true() -> None:
    w = world()
    learner, topic = w["learner"], w["topic"]
    assert isinstance(learner, User)
    weights, _ = current_model()
    seen: set[str] = set()
    recs = top_tutors(learner=learner, subject_id=topic.pk, n=10, explore_share=False)  # type: ignore[attr-defined]
    assert len(recs) == 5
    for rec in recs:
        seen |= check(rec, learner, topic.pk, weights)  # type: ignore[attr-defined]
    assert {"shared_time", "rating", "went_well", "language", "verified"} <= seen
    by_tutor = {r.tutor_id: {c.kind for c in r.claims} for r in recs}
    tutors = w["tutors"]
    assert isinstance(tutors, list)
    assert "went_well" not in by_tutor[tutors[1].pk]  # rated 2
    assert "went_well" not in by_tutor[tutors[3].pk]  # never rated
    assert "verified" not in by_tutor[tutors[2].pk]  # verified, but in another topic
    assert "shared_time" not in by_tutor[tutors[4].pk]  # Saturdays only: nothing shared


def test_a_learner_without_availability_gets_no_shared_time_claim() -> None:
    w = world()
    other, topic = w["no_calendar"], w["topic"]
    assert isinstance(other, User)
    weights, _ = current_model()
    recs = top_tutors(learner=other, subject_id=topic.pk, n=10, explore_share=False)  # type: ignore[attr-defined]
    assert recs
    for rec in recs:
        kinds = check(rec, other, topic.pk, weights)  # type: ignore[attr-defined]
        assert "shared_time" not in kinds and "went_well" not in kinds
        assert "shared_minutes" not in rec.facts
