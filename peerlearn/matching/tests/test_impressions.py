"""The impression log: what each surface showed, to whom, at which position, with the features
as scored; bookings linked back to the impression that led to them; match-success counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from peerlearn.common.testing import make_booking, make_subject, make_tutor, make_user
from peerlearn.matching.impressions import (
    Shown,
    impression_outcomes,
    impressions_attribute,
    impressions_log,
    match_success,
    recent_exposure,
)
from peerlearn.matching.index import invalidate
from peerlearn.matching.models import Impression
from peerlearn.matching.recommend import FEATURES
from peerlearn.scheduling.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_index() -> None:
    invalidate()


def test_the_recommended_page_logs_every_tutor_shown_with_position_and_features() -> None:
    subject = make_subject("Graphs")
    tutors = [make_tutor(subject=subject) for _ in range(4)]
    learner = make_user()
    client = Client()
    client.force_login(learner)
    response = client.get(f"/tutors/recommended/?subject={subject.pk}")
    assert response.status_code == 200

    rows = list(Impression.objects.order_by("position"))
    assert [r.position for r in rows] == [1, 2, 3, 4]
    assert {r.tutor_id for r in rows} == {t.pk for t in tutors}
    assert len({r.slate for r in rows}) == 1
    assert all(r.viewer_id == learner.pk and r.subject_id == subject.pk for r in rows)
    assert all(r.surface == Impression.Surface.RECOMMENDED for r in rows)
    assert all(set(r.features) >= set(FEATURES) for r in rows)
    assert [r.score for r in rows] == sorted((r.score for r in rows), reverse=True) or any(
        r.explored for r in rows
    )


def test_the_api_logs_recommendations_and_signed_in_searches_but_not_anonymous_ones() -> None:
    subject = make_subject("Graphs")
    make_tutor(subject=subject)
    make_tutor(subject=subject)
    learner = make_user()
    anonymous = Client()
    assert anonymous.get(f"/api/v1/tutors/search?subject={subject.pk}").status_code == 200
    assert not Impression.objects.exists()

    client = Client()
    client.force_login(learner)
    assert client.get(f"/api/v1/tutors/search?subject={subject.pk}").status_code == 200
    assert client.get(f"/tutors/?subject={subject.pk}").status_code == 200
    assert client.get(f"/api/v1/tutors/recommended?subject={subject.pk}").status_code == 200
    by_surface = {
        s: Impression.objects.filter(surface=s).values("slate").distinct().count()
        for s in Impression.Surface.values
    }
    assert by_surface == {"search": 2, "recommended": 1, "help_offer": 0}
    search_row = Impression.objects.filter(surface="search").first()
    assert search_row is not None and {"rating", "rating_count", "match"} <= set(
        search_row.features
    )


def test_a_booking_links_back_to_the_latest_impression_that_led_to_it() -> None:
    subject = make_subject("Graphs")
    tara, tom = make_tutor(subject=subject), make_tutor(subject=subject)
    lee = make_user()
    now = timezone.now()
    old = impressions_log(
        viewer=lee,
        surface="recommended",
        subject_id=subject.pk,
        shown=[Shown(tara.pk, 0.9), Shown(tom.pk, 0.5)],
        at=now - timedelta(days=3),
    )
    new = impressions_log(
        viewer=lee,
        surface="search",
        subject_id=subject.pk,
        shown=[Shown(tom.pk), Shown(tara.pk)],
        at=now - timedelta(days=1),
    )
    too_old = impressions_log(
        viewer=lee,
        surface="recommended",
        subject_id=None,
        shown=[Shown(tom.pk)],
        at=now - timedelta(days=40),
    )
    booking = make_booking(tara, [lee], starts_in=timedelta(days=2))
    assert impressions_attribute() == 1
    assert impressions_attribute() == 0  # idempotent
    linked = Impression.objects.get(booking=booking)
    assert linked.slate == new and linked.tutor_id == tara.pk and linked.position == 2
    assert linked.booked_at == booking.created_at
    assert not Impression.objects.filter(slate__in=[old, too_old], booking__isnull=False).exists()

    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.COMPLETED)
    outcomes = {(r["slate"], r["tutor_id"]): r["outcome"] for r in impression_outcomes()}
    assert outcomes[(new, tara.pk)] == "completed"
    assert outcomes[(new, tom.pk)] == "shown"
    stats = match_success()
    assert stats["search"] == {
        "slates": 1,
        "impressions": 2,
        "booked": 1,
        "completed": 1,
        "good": 0,  # not rated
        "no_show": 0,
    }
    assert stats["recommended"]["slates"] == 2 and stats["recommended"]["booked"] == 0


def test_the_viewer_is_never_logged_as_shown_to_themselves_and_exposure_counts_learners() -> None:
    subject = make_subject("Graphs")
    tara = make_tutor(subject=subject)
    learners = [make_user() for _ in range(3)]
    for learner in learners:
        impressions_log(
            viewer=learner,
            surface="recommended",
            subject_id=subject.pk,
            shown=[Shown(tara.pk), Shown(learner.pk)],
        )
    assert not Impression.objects.filter(tutor_id__in=[u.pk for u in learners]).exists()
    assert recent_exposure(since=timezone.now() - timedelta(days=1)) == {tara.pk: 3}
    assert impressions_log(viewer=None, surface="search", subject_id=None, shown=[]) is None
