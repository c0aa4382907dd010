"""Training from the impression log: lists shown, the booking they led to and its outcome;
features as shown; exposure weights; grades relative to the learner's habit; promotion only on
held-out evidence."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from peerlearn.accounts.models import Subject, User
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.matching import ranker, tasks
from peerlearn.matching.impressions import Shown, impressions_log
from peerlearn.matching.index import invalidate
from peerlearn.matching.models import RankerVersion
from peerlearn.matching.quality import forget
from peerlearn.matching.recommend import FEATURES, NEUTRAL, PRIOR_WEIGHTS, top_tutors
from peerlearn.reviews.models import Review
from peerlearn.scheduling.models import Booking, TimeClaim

pytestmark = pytest.mark.django_db

LANGUAGE = FEATURES.index("language")
RATING = FEATURES.index("rating")
_hours = itertools.count()


@pytest.fixture(autouse=True)
def _fresh_index() -> None:
    invalidate()
    forget()


def book(
    tutor: User, learner: User, subject: Subject, status: str, *, created: timedelta
) -> Booking:
    """A finished one-to-one booking stored directly, made ``created`` ago and held a day later
    (each call its own hour, so no time claims overlap)."""
    made = timezone.now() - created
    starts_at = made + timedelta(days=1, minutes=next(_hours))
    booking = Booking.objects.create(
        tutor=tutor,
        subject=subject,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        status=status,
        created_by=learner,
        no_show_user=tutor if status == Booking.Status.NO_SHOW else None,
    )
    Booking.objects.filter(pk=booking.pk).update(created_at=made)
    for user, role in ((tutor, TimeClaim.Role.TUTOR), (learner, TimeClaim.Role.LEARNER)):
        TimeClaim.objects.create(
            booking=booking,
            user=user,
            role=role,
            starts_at=starts_at,
            ends_at=booking.ends_at,
            active=False,
        )
    return booking


def rate(booking: Booking, learner: User, stars: int) -> Review:
    """Revealed: the booking ended more than the review window ago."""
    return Review.objects.create(
        booking=booking,
        author=learner,
        subject=booking.tutor,
        direction=Review.Direction.OF_TUTOR,
        clarity=stars,
        knowledge=stars,
        patience=stars,
        punctuality=stars,
        overall=Decimal(stars),
    )


def features(**values: float) -> dict[str, float]:
    out = {name: float(NEUTRAL[i]) for i, name in enumerate(FEATURES)}
    out.update(values)
    return out


def show_and_book(
    learner: User,
    tutors: list[User],
    rows: list[dict[str, float]],
    booked: int,
    subject: Subject,
    *,
    days_ago: int,
    status: str = Booking.Status.COMPLETED,
    stars: int | None = None,
    propensity: float = 1.0,
) -> Booking:
    at = timezone.now() - timedelta(days=days_ago)
    impressions_log(
        viewer=learner,
        surface="recommended",
        subject_id=subject.pk,
        shown=[
            Shown(t.pk, 0.5, propensity if i == booked else 1.0, i == booked and propensity < 1, f)
            for i, (t, f) in enumerate(zip(tutors, rows, strict=True))
        ],
        at=at,
    )
    booking = book(
        tutors[booked], learner, subject, status, created=timedelta(days=days_ago, hours=-1)
    )
    if stars is not None:
        rate(booking, learner, stars)
    return booking


def language_world(slates: int) -> tuple[Subject, list[User]]:
    """Learners book one of four tutors shown; sessions with the one who speaks the learner's
    language go well (5★), the others badly (2★); the shown ratings say nothing about it."""
    subject = make_subject("Graphs")
    tutors = [make_tutor(subject=subject) for _ in range(4)]
    learners = [make_user() for _ in range(6)]
    rng = np.random.default_rng(1)
    for i in range(slates):
        speaker = int(rng.integers(4))
        booked = speaker if rng.random() < 0.5 else int(rng.integers(4))
        rows = [
            features(language=1.0 if j == speaker else 0.0, rating=float(rng.random()))
            for j in range(4)
        ]
        show_and_book(
            learners[i % 6],
            tutors,
            rows,
            booked,
            subject,
            days_ago=200 - i,
            stars=5 if booked == speaker else 2,
        )
    return subject, learners


def test_without_labelled_impressions_nothing_is_stored(capsys: pytest.CaptureFixture[str]) -> None:
    subject = make_subject("Graphs")
    tutors = [make_tutor(subject=subject) for _ in range(2)]
    learner = make_user()
    # shown, but the booking is still ahead: not a label yet
    show_and_book(
        learner,
        tutors,
        [features(), features()],
        0,
        subject,
        days_ago=3,
        status=Booking.Status.CONFIRMED,
    )
    call_command("train_ranker")
    assert "no labelled impressions yet" in capsys.readouterr().out
    assert not RankerVersion.objects.exists()
    weights, version = ranker.current_model()
    assert version is None and np.allclose(weights, PRIOR_WEIGHTS)


def test_a_fit_that_wins_on_held_out_slates_is_promoted_and_served(
    capsys: pytest.CaptureFixture[str],
) -> None:
    subject, learners = language_world(100)
    call_command("train_ranker")
    out = capsys.readouterr().out
    version = RankerVersion.objects.get()
    assert version.promoted, out
    assert "promoted" in out and "rating" in out
    assert version.metrics["test_slates"] == 25 and version.metrics["train_slates"] == 75
    policies = version.metrics["policies"]
    best = policies[f"blend {version.metrics['blend']:.2f}"]["outcome"]
    assert best > policies["served"]["outcome"] and best >= policies["rating"]["outcome"]
    assert policies["random"]["outcome"] == 0.5
    learned = np.array([version.weights[name] for name in FEATURES])
    assert learned[LANGUAGE] > PRIOR_WEIGHTS[LANGUAGE]
    weights, served = ranker.current_model()
    assert served == version.pk and np.allclose(weights, learned)

    recs = top_tutors(learner=learners[0], subject_id=subject.pk, n=4, explore_share=False)
    assert recs and all(r.version_id == version.pk for r in recs)
    for rec in recs:  # the score is the served weights times the parts, minus any penalty
        parts = np.array([rec.parts[name] for name in FEATURES])
        assert rec.score <= float(parts @ weights) + 1e-3


def test_too_few_held_out_slates_are_kept_for_the_record_not_served() -> None:
    language_world(40)  # 10 held out
    result = ranker.train()
    assert result.version is not None and not result.promoted
    assert "not enough evidence" in result.message
    assert ranker.current_model()[1] is None


def test_training_reads_the_features_as_shown_and_weights_by_exposure() -> None:
    subject = make_subject("Graphs")
    tutors = [make_tutor(subject=subject) for _ in range(5)]
    learner = make_user()
    shown_rows = [features(rating=0.1 * i, language=float(i == 4)) for i in range(5)]
    show_and_book(learner, tutors, shown_rows, 4, subject, days_ago=30, stars=5, propensity=0.5)
    # what happened afterwards (new reviews, a new language) must not change what was shown
    tutors[4].profile.languages = ["xx"]
    tutors[4].profile.save()
    (slate,) = ranker.logged_slates()
    expected = np.array([[r[f] for f in FEATURES] for r in shown_rows])
    assert np.allclose(slate.X, expected)
    assert slate.booked == 4 and slate.good
    assert slate.weight == pytest.approx(min(10.0, 1 / (ranker.examination(5) * 0.5)))


def test_grades_are_relative_to_the_learners_own_rating_habit() -> None:
    subject = make_subject("Graphs")
    tutors = [make_tutor(subject=subject) for _ in range(5)]
    generous, strict = make_user(), make_user()
    rows = [features() for _ in tutors]
    for i in range(4):  # the generous learner gives everyone 5 (no one booked twice)
        show_and_book(generous, tutors, rows, i, subject, days_ago=100 - i, stars=5)
    for i in range(4):  # the strict learner gives 2...
        show_and_book(strict, tutors, rows, i, subject, days_ago=90 - i, stars=2)
    show_and_book(strict, tutors, rows, 4, subject, days_ago=50, stars=5)  # ... and once a 5
    grades = {
        (s.learner_id, s.shown_at.date()): float(s.grade[s.booked]) for s in ranker.logged_slates()
    }
    strict_five = grades[(strict.pk, (timezone.now() - timedelta(days=50)).date())]
    generous_fives = [g for (who, _), g in grades.items() if who == generous.pk]
    assert strict_five == 3.0  # far above their habit
    assert max(generous_fives) <= 2.0  # a 5 from someone who gives everyone 5 is ordinary
    strict_twos = [g for (who, day), g in grades.items() if who == strict.pk and g != 3.0]
    assert all(g >= 1.0 for g in strict_twos)  # a 2 is their usual, not a disaster


def test_a_tutor_no_show_is_a_bad_outcome() -> None:
    subject = make_subject("Graphs")
    tutors = [make_tutor(subject=subject) for _ in range(2)]
    show_and_book(
        make_user(),
        tutors,
        [features(), features()],
        0,
        subject,
        days_ago=20,
        status=Booking.Status.NO_SHOW,
    )
    (slate,) = ranker.logged_slates()
    assert slate.grade[0] == 0.0 and not slate.good


def test_evaluate_matching_prints_the_honest_table(capsys: pytest.CaptureFixture[str]) -> None:
    language_world(100)
    call_command("evaluate_matching")
    out = capsys.readouterr().out
    assert "labelled slates 100: train 75, held out 25" in out
    for policy in ("served", "rating", "random", "blend 1.00"):
        assert policy in out
    assert "would be promoted" in out


def test_the_periodic_task_trains_and_stores_a_version() -> None:
    assert tasks.train_ranker.call() is None  # nothing to learn from yet
    language_world(30)
    pk = tasks.train_ranker.call()
    assert pk == RankerVersion.objects.get().pk
