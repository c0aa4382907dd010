"""Writes for matching: training and storing a ranker version."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import transaction

from . import ranker
from .index import get_index
from .models import RankerVersion
from .recommend import FEATURES, PRIOR_WEIGHTS, candidates, feature_matrix, learner_context


@dataclass
class Outcome:
    learner_id: int
    tutor_id: int
    subject_id: int
    good: bool
    at: object


def outcomes() -> list[Outcome]:
    """Finished bookings as outcomes, oldest first: completed (and not rated below 3, or
    rebooked) is good; declined, a tutor no-show or a low rating is bad."""
    from django.db.models import Avg

    from peerlearn.reviews.models import Review
    from peerlearn.scheduling.models import Booking, TimeClaim

    ratings = dict(
        Review.objects.filter(direction=Review.Direction.OF_TUTOR)
        .values("booking_id")
        .annotate(a=Avg("overall"))
        .values_list("booking_id", "a")
    )
    out = []
    done = (Booking.Status.COMPLETED, Booking.Status.DECLINED, Booking.Status.NO_SHOW)
    rows = TimeClaim.objects.filter(
        role=TimeClaim.Role.LEARNER, booking__status__in=done
    ).values_list(
        "user_id",
        "booking__tutor_id",
        "booking__subject_id",
        "booking__status",
        "booking_id",
        "booking__no_show_user_id",
        "booking__created_at",
    )
    for learner, tutor, subject, status, booking_id, absent, at in rows.order_by(
        "booking__created_at"
    ):
        rating = ratings.get(booking_id)
        good = status == Booking.Status.COMPLETED and (rating is None or float(rating) >= 3)
        if status == Booking.Status.NO_SHOW and absent != tutor:
            continue  # the learner's own no-show says nothing about the tutor
        out.append(Outcome(learner, tutor, subject, good, at))
    return out


def training_pairs(
    data: list[Outcome], *, seed: int = 0, negatives: int = 5
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Pairwise differences and, per outcome, (scores-ready feature matrix, relevance) groups:
    the booked tutor against up to ``negatives`` other candidates for the same subject."""
    from peerlearn.accounts.models import User

    index = get_index()
    rng = np.random.default_rng(seed)
    diffs: list[np.ndarray] = []
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    learners = {
        u.pk: u
        for u in User.objects.filter(pk__in={o.learner_id for o in data}).select_related("profile")
    }
    for o in data:
        row = index.row_of.get(o.tutor_id)
        if row is None or o.learner_id not in learners:
            continue
        ctx = learner_context(learners[o.learner_id], o.subject_id)
        rows, match, _, verified = candidates(index, ctx, np.array([], dtype=np.int64))
        others = rows[rows != row]
        if others.size == 0:
            continue
        sample = rng.choice(others, min(negatives, others.size), replace=False)
        X, _ = feature_matrix(index, ctx, np.concatenate([[row], sample]), match, verified)
        d = X[0] - X[1:]
        diffs.extend(d if o.good else -d)
        rel = np.zeros(X.shape[0])
        rel[0] = 2.0 if o.good else 0.0
        rel[1:] = 0.0 if o.good else 1.0
        groups.append((X, rel))
    return (np.array(diffs) if diffs else np.zeros((0, len(FEATURES)))), groups


def evaluate(data: list[Outcome], *, holdout: float = 0.2) -> dict[str, float]:
    """NDCG@10 on the newest ``holdout`` share: the prior, and a ranker fit on the rest."""
    cut = int(len(data) * (1 - holdout))
    train_diffs, _ = training_pairs(data[:cut])
    _, test_groups = training_pairs(data[cut:], seed=1)
    learned = ranker.blend(ranker.fit_pairwise(train_diffs), train_diffs.shape[0])
    if not test_groups:
        return {
            "ndcg_prior": 0.0,
            "ndcg_learned": 0.0,
            "train_pairs": float(train_diffs.shape[0]),
            "test_groups": 0.0,
        }
    return {
        "ndcg_prior": float(
            np.mean([ranker.ndcg_at(X @ PRIOR_WEIGHTS, rel) for X, rel in test_groups])
        ),
        "ndcg_learned": float(
            np.mean([ranker.ndcg_at(X @ learned, rel) for X, rel in test_groups])
        ),
        "train_pairs": float(train_diffs.shape[0]),
        "test_groups": float(len(test_groups)),
    }


def ranker_train() -> RankerVersion:
    """Fit the pairwise ranker on every outcome so far and store it as the newest version
    (served blended with the prior by ``ranker.current_weights``)."""
    data = outcomes()
    metrics = evaluate(data) if len(data) >= 10 else {}
    diffs, _ = training_pairs(data)
    learned = ranker.fit_pairwise(diffs)
    with transaction.atomic():
        return RankerVersion.objects.create(
            weights={name: float(w) for name, w in zip(FEATURES, learned, strict=True)},
            features=list(FEATURES),
            sample_count=int(diffs.shape[0]),
            metrics=metrics,
        )
