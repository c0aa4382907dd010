"""Training the ranker on real outcomes: completed bookings, ratings, rebookings, no-shows and
declined offers, stored as a ``RankerVersion`` and served blended with the prior."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from peerlearn.accounts.models import Subject, User
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.matching import ranker, tasks
from peerlearn.matching.help.models import HelpOffer, HelpRequest
from peerlearn.matching.index import invalidate
from peerlearn.matching.models import RankerVersion
from peerlearn.matching.recommend import FEATURES, PRIOR_WEIGHTS, top_tutors
from peerlearn.reviews.models import Review
from peerlearn.scheduling.models import Booking, TimeClaim

pytestmark = pytest.mark.django_db

LANGUAGE = FEATURES.index("language")
_hours = itertools.count()


@pytest.fixture(autouse=True)
def _fresh_index() -> None:
    invalidate()


def book(
    tutor: User,
    learner: User,
    subject: Subject,
    status: str = Booking.Status.COMPLETED,
    *,
    no_show: User | None = None,
    days_ago: int = 60,
) -> Booking:
    """A finished one-to-one booking stored directly (as ``tests/e2e/live_helpers.open_booking``
    does); every call gets its own hour so no one's time claims overlap (PostgreSQL)."""
    starts_at = timezone.now() - timedelta(days=days_ago) + timedelta(hours=next(_hours))
    ends_at = starts_at + timedelta(hours=1)
    booking = Booking.objects.create(
        tutor=tutor,
        subject=subject,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        created_by=learner,
        no_show_user=no_show,
    )
    for user, role in ((tutor, TimeClaim.Role.TUTOR), (learner, TimeClaim.Role.LEARNER)):
        TimeClaim.objects.create(
            booking=booking, user=user, role=role, starts_at=starts_at, ends_at=ends_at
        )
    return booking


def rate(booking: Booking, learner: User, stars: int) -> Review:
    """The learner's review of the tutor, stored directly (revealed once the booking ended more
    than the review window ago)."""
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


def decline_help(tutor: User, learner: User, subject: Subject) -> HelpOffer:
    at = timezone.now() - timedelta(days=10)
    request = HelpRequest.objects.create(
        learner=learner,
        subject=subject,
        description="Stuck on shortest paths",
        starts_at=at + timedelta(days=1),
        duration_minutes=60,
        round_ends_at=at + timedelta(hours=1),
    )
    return HelpOffer.objects.create(
        request=request,
        tutor=tutor,
        round=1,
        rank=1,
        offered_at=at,
        responded_at=at + timedelta(minutes=5),
        status=HelpOffer.Status.DECLINED,
    )


@dataclass
class World:
    subject: Subject
    good: list[User]  # speak the learners' language; sessions go well and get rebooked
    bad: list[User]  # don't; they no-show
    learners: list[User]
    outcomes: int  # labelled outcomes expected from ``ranker.outcomes``


def make_world(n_learners: int = 3) -> World:
    subject = make_subject("Graphs")
    good = [make_tutor(subject=subject, display_name=f"Good {i}") for i in range(3)]
    bad = [make_tutor(subject=subject, display_name=f"Bad {i}") for i in range(3)]
    for tutor, lang in [*((t, "fr") for t in good), *((t, "de") for t in bad)]:
        tutor.profile.languages = [lang]
        tutor.profile.save()
    learners = [make_user(languages=["fr"]) for _ in range(n_learners)]
    outcomes = 0
    for learner in learners:
        for tutor in good:
            book(tutor, learner, subject)  # rebooked → great
            book(tutor, learner, subject)  # completed → good
            outcomes += 2
        for tutor in bad:
            book(tutor, learner, subject, Booking.Status.NO_SHOW, no_show=tutor)
            outcomes += 1
        # neither says anything about the tutor: skipped
        book(good[0], learner, subject, Booking.Status.NO_SHOW, no_show=learner)
        book(bad[0], learner, subject, Booking.Status.CANCELLED)
    decline_help(bad[1], learners[0], subject)
    outcomes += 1
    return World(subject, good, bad, learners, outcomes)


def test_outcomes_are_labelled_from_bookings_reviews_rebookings_and_declines() -> None:
    subject = make_subject("Graphs")
    tara, tom = make_tutor(subject=subject), make_tutor(subject=subject)
    lee = make_user()
    first = book(tara, lee, subject)
    book(tara, lee, subject)  # the rebooking
    low = book(tom, lee, subject)
    rate(low, lee, 2)
    unrevealed = book(tom, lee, subject, days_ago=1)
    rate(unrevealed, lee, 1)  # not revealed yet (window open, no review back): ignored
    book(tom, lee, subject, Booking.Status.NO_SHOW, no_show=tom)
    book(tom, lee, subject, Booking.Status.NO_SHOW, no_show=lee)  # skipped
    book(tom, lee, subject, Booking.Status.DECLINED)
    decline_help(tara, lee, subject)

    got = {(o.tutor_id, o.kind, o.grade) for o in ranker.outcomes()}
    assert got == {
        (tara.pk, "rebooked", 3),
        (tara.pk, "completed", 2),
        (tom.pk, "low_rating", 0),
        (tom.pk, "completed", 2),  # the unrevealed 1★
        (tom.pk, "tutor_no_show", 0),
        (tom.pk, "declined", 0),
        (tara.pk, "help_declined", 0),
    }
    data = ranker.outcomes()
    assert [o.at for o in data] == sorted(o.at for o in data)
    assert data[0].at == first.starts_at


def test_train_ranker_stores_a_version_that_learns_what_good_outcomes_share(
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = make_world()
    call_command("train_ranker")
    out = capsys.readouterr().out

    version = RankerVersion.objects.get()
    negatives = min(ranker.NEGATIVES, len(world.good) + len(world.bad) - 1)
    assert version.sample_count == world.outcomes * negatives
    assert version.metrics["outcomes"] == world.outcomes
    assert {"ndcg_prior", "ndcg_learned"} <= version.metrics.keys()
    assert version.features == list(FEATURES)
    assert version.trained_at is not None
    assert f"ranker v{version.pk}: {world.outcomes} outcomes" in out
    # the good tutors speak the learners' language, the bad ones don't: language gains weight
    learned = np.array([version.weights[name] for name in FEATURES])
    assert learned[LANGUAGE] > 0
    assert learned[LANGUAGE] > PRIOR_WEIGHTS[LANGUAGE]  # both have the prior's L1 norm
    assert np.abs(learned).sum() == pytest.approx(np.abs(PRIOR_WEIGHTS).sum())


def test_the_newest_version_is_served_blended_by_its_pair_count() -> None:
    world = make_world(n_learners=1)
    assert np.allclose(ranker.current_weights(), PRIOR_WEIGHTS)
    all_language = {name: (1.0 if name == "language" else 0.0) for name in FEATURES}
    RankerVersion.objects.create(
        weights={name: 1.0 for name in FEATURES}, features=list(FEATURES), sample_count=50
    )
    newest = RankerVersion.objects.create(
        weights=all_language, features=list(FEATURES), sample_count=600
    )
    assert newest.trained_at >= RankerVersion.objects.order_by("trained_at").first().trained_at  # type: ignore[union-attr]
    served = ranker.current_weights()
    alpha = 600 / (600 + ranker.BLEND_K)
    expected = alpha * ranker.normalise(np.array([all_language[n] for n in FEATURES]))
    expected += (1 - alpha) * PRIOR_WEIGHTS
    assert np.allclose(served, expected)

    recs = top_tutors(learner=world.learners[0], subject_id=world.subject.pk, n=6)
    assert len(recs) == 6
    for rec in recs:  # every score is the features times the served weights
        parts = np.array([rec.parts[name] for name in FEATURES])
        assert rec.score == pytest.approx(float(parts @ served), abs=1e-3)
    # with language weighted up, the learners' language speakers come first
    assert {r.tutor_id for r in recs[:3]} == {t.pk for t in world.good}


def test_evaluate_matching_prints_both_ndcgs(capsys: pytest.CaptureFixture[str]) -> None:
    make_world()
    call_command("evaluate_matching")
    out = capsys.readouterr().out
    assert "NDCG@10 prior" in out
    assert "NDCG@10 learned" in out
    prior = float(out.split("NDCG@10 prior")[1].split()[0])
    learned = float(out.split("NDCG@10 learned")[1].split()[0])
    assert 0 < prior <= 1
    assert 0 < learned <= 1


def test_without_outcomes_training_keeps_the_prior(capsys: pytest.CaptureFixture[str]) -> None:
    make_tutor(subject=make_subject("Graphs"))
    call_command("train_ranker")
    out = capsys.readouterr().out
    assert "no usable outcomes yet" in out
    assert "prior" in out
    assert not RankerVersion.objects.exists()
    assert np.allclose(ranker.current_weights(), PRIOR_WEIGHTS)

    call_command("evaluate_matching")
    out = capsys.readouterr().out
    assert "outcomes 0" in out
    assert "NDCG@10 prior   0.000" in out


def test_the_periodic_task_trains_and_stores_a_version() -> None:
    assert tasks.train_ranker.call() is None  # nothing to learn from yet
    make_world(n_learners=1)
    pk = tasks.train_ranker.call()
    assert pk == RankerVersion.objects.get().pk
    tasks.train_ranker.enqueue()
    assert RankerVersion.objects.count() == 2
    assert RankerVersion.objects.order_by("-trained_at", "-pk").first().pk != pk  # type: ignore[union-attr]


def test_an_outcome_is_not_explained_by_its_own_review() -> None:
    """Tara's only counted review is Lee's 5★ of the session being learned from: that outcome
    sees Tara's rating without it (the prior), while her index rating includes it."""
    from peerlearn.matching.index import get_index
    from peerlearn.reviews.services import rating_totals_rebuild

    subject = make_subject("Graphs")
    tara, tom = make_tutor(subject=subject), make_tutor(subject=subject)
    lee, hidden_by_moderator = make_user(), make_user()
    rate(book(tara, lee, subject), lee, 5)
    hidden = rate(book(tom, hidden_by_moderator, subject), hidden_by_moderator, 5)
    Review.objects.filter(pk=hidden.pk).update(
        hidden_at=timezone.now(), hidden_reason="Not about the session"
    )
    rating_totals_rebuild()  # the reviews above were stored around the services
    index = get_index(force=True)
    row = index.row_of[tara.pk]
    assert (
        index.rating_count[row] == 1
        and index.rating_feature[row] > index.rating_feature[index.row_of[tom.pk]]
    )

    data = {o.learner_id: o for o in ranker.outcomes()}
    assert data[lee.pk].own_review == 5.0
    assert data[hidden_by_moderator.pk].own_review is None  # not in Tom's rating anyway
    without = ranker.rating_without(index, row, 5.0)
    assert without == pytest.approx(float(index.rating_feature[index.row_of[tom.pk]]))
    pairs = ranker.training_pairs([data[lee.pk]], negatives=1)
    features, _ = pairs.groups[0]
    assert features[0, ranker.RATING] == pytest.approx(without)
