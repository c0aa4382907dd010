"""The stored per-tutor rating totals: they follow every way a review becomes visible or stops
being visible, they agree with the live aggregate of the profile, and two reveals for one tutor
committing at once are both counted (PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
import time_machine
from django.db import connection

from conftest import require
from peerlearn.common.testing import make_moderator, make_tutor, make_user, race
from peerlearn.reviews import selectors, services
from peerlearn.reviews.models import Review, TutorRatingTotal

from .factories import completed_booking, learner_review, people, rated_tutor, tutor_review

pytestmark = pytest.mark.django_db


def stored(tutor_id: int) -> tuple[Decimal, int]:
    row = TutorRatingTotal.objects.filter(tutor_id=tutor_id).first()
    return (row.total, row.count) if row else (Decimal(0), 0)


def live(tutor_id: int) -> tuple[Decimal, int]:
    reviews = selectors.tutor_reviews_visible().filter(subject_id=tutor_id)
    return (sum((r.overall for r in reviews), Decimal(0)), reviews.count())


def test_a_sealed_review_is_not_counted_until_the_other_side_writes() -> None:
    tutor, lee = people()
    booking = completed_booking(tutor, [lee])
    learner_review(booking, lee, clarity=3, knowledge=3, patience=3, punctuality=3)
    assert stored(tutor.pk) == (0, 0)
    tutor_review(booking, tutor, lee)
    assert stored(tutor.pk) == (Decimal("3.00"), 1) == live(tutor.pk)


def test_the_window_closing_counts_a_lone_review(frozen: time_machine.Traveller) -> None:
    tutor, lee = people()
    booking = completed_booking(tutor, [lee])
    learner_review(booking, lee, clarity=5, knowledge=4, patience=4, punctuality=4)
    frozen.move_to(booking.ends_at + timedelta(days=14))
    # The task scheduled at the window's close announces the reveal, which refreshes the total.
    assert services.reviews_notify_revealed(booking_id=booking.pk) == 1
    assert stored(tutor.pk) == (Decimal("4.25"), 1) == live(tutor.pk)


def test_hiding_a_review_takes_it_out_and_a_learners_review_never_counts() -> None:
    tutor = rated_tutor([5, 3], name="Tara")
    assert stored(tutor.pk) == (Decimal("8.00"), 2)
    # Reviews of learners (by the tutor) are in no tutor's total.
    learner_ids = set(Review.objects.filter(subject=tutor).values_list("author_id", flat=True))
    assert not TutorRatingTotal.objects.filter(tutor_id__in=learner_ids, count__gt=0).exists()
    fives = Review.objects.get(subject=tutor, overall=5)
    services.review_hide(actor=make_moderator(), review_id=fives.pk, reason="Spam")
    assert stored(tutor.pk) == (Decimal("3.00"), 1) == live(tutor.pk)


def test_the_prior_and_the_profile_rating_read_the_same_numbers() -> None:
    a = rated_tutor([5, 4], name="A")
    rated_tutor([2], name="B")
    # m = (5 + 4 + 2) / 3 = 3.667; A: (5·3.667 + 9) / 7 = 3.9048
    assert selectors.rating_prior() == pytest.approx(11 / 3)
    profile = selectors.tutor_rating(a)
    annotated: Any = selectors.stored_rating_annotations(type(a).objects.filter(pk=a.pk)).get()
    assert annotated.rating_count == profile.count == 2
    assert annotated.rating == pytest.approx((5 * 11 / 3 + 9) / 7)
    assert round(annotated.rating, 2) == profile.bayesian


def test_a_rebuild_repairs_totals_written_around_the_services() -> None:
    tutor = rated_tutor([4, 4], name="Tara")
    never_reviewed = make_tutor(display_name="Nobody")
    TutorRatingTotal.objects.filter(tutor=tutor).update(total=Decimal(10), count=2)
    TutorRatingTotal.objects.create(tutor=never_reviewed, total=Decimal(5), count=1)
    services.rating_totals_rebuild()
    assert stored(tutor.pk) == (Decimal("8.00"), 2)
    assert stored(never_reviewed.pk) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_two_reveals_for_one_tutor_at_once_are_both_counted() -> None:
    require(connection.vendor == "postgresql", "PostgreSQL")
    tutor = make_tutor(display_name="Tara")
    pairs = []
    for _ in range(6):
        learner = make_user()
        booking = completed_booking(tutor, [learner])
        learner_review(booking, learner, clarity=4, knowledge=4, patience=4, punctuality=4)
        pairs.append((booking, learner))
    assert stored(tutor.pk) == (0, 0)
    # Each reply reveals one pair: six transactions refresh the same tutor's row at once.
    race([partial(tutor_review, b, tutor, learner) for b, learner in pairs])
    assert stored(tutor.pk) == (Decimal("24.00"), 6) == live(tutor.pk)


def test_the_hourly_sweep_announces_reveals_and_re_sums(frozen: time_machine.Traveller) -> None:
    from io import StringIO

    from django.core.management import call_command

    tutor, lee = people()
    booking = completed_booking(tutor, [lee])
    learner_review(booking, lee, clarity=2, knowledge=2, patience=2, punctuality=2)
    TutorRatingTotal.objects.create(tutor=make_tutor(display_name="Stale"), total=5, count=1)
    frozen.move_to(booking.ends_at + timedelta(days=15))
    out = StringIO()
    call_command("reviews_reveal", stdout=out)
    assert "1 subject(s) told" in out.getvalue()
    assert stored(tutor.pk) == (Decimal("2.00"), 1)
    assert not TutorRatingTotal.objects.filter(count__gt=0).exclude(tutor=tutor).exists()
