"""The learned ranker: pairwise logistic regression (RankNet with a linear scorer) in NumPy.

A pair (better, worse) of tutors for the same learner says ``w·x_better > w·x_worse``; we fit
``P = σ(w·(x_b − x_w))`` by gradient descent with L2. The served weights blend the hand-set
prior with the learned vector: ``α·learned + (1−α)·prior``, ``α = n/(n+K)`` for n pairs.

Training (``train``; ``manage.py train_ranker``, task ``matching.tasks.train_ranker``) builds the
pairs from real outcomes — completed bookings, their revealed ratings, rebookings, the tutor's
no-shows, declined bookings and declined help offers — and stores a ``RankerVersion``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from .recommend import FEATURES, PRIOR_WEIGHTS

if TYPE_CHECKING:
    from .models import RankerVersion

BLEND_K = 200.0
RATING = FEATURES.index("rating")


def fit_pairwise(
    diffs: np.ndarray, *, l2: float = 1e-3, iters: int = 400, lr: float = 0.5
) -> np.ndarray:
    """Weights w minimising mean log(1 + exp(−w·d)) + l2·|w|² over the rows d of ``diffs``,
    rescaled to the prior's L1 norm so blending mixes comparable vectors."""
    w = PRIOR_WEIGHTS.copy()
    if diffs.shape[0] == 0:
        return w
    for _ in range(iters):
        margin = diffs @ w
        p = 1.0 / (1.0 + np.exp(np.clip(margin, -30, 30)))  # σ(−margin)
        grad = -(diffs * p[:, None]).mean(axis=0) + 2 * l2 * w
        w -= lr * grad
    return normalise(w)


def normalise(w: np.ndarray) -> np.ndarray:
    total = np.abs(w).sum()
    return w * (np.abs(PRIOR_WEIGHTS).sum() / total) if total > 0 else PRIOR_WEIGHTS.copy()


def blend(learned: np.ndarray, n_pairs: int, k: float = BLEND_K) -> np.ndarray:
    alpha = n_pairs / (n_pairs + k)
    return alpha * normalise(learned) + (1 - alpha) * PRIOR_WEIGHTS


def ndcg_at(scores: np.ndarray, relevance: np.ndarray, k: int = 10) -> float:
    """NDCG@k of ordering by ``scores`` against graded ``relevance`` (2^rel − 1 gains)."""
    order = np.argsort(-scores, kind="stable")[:k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = (2.0 ** relevance[order] - 1) @ discounts[: order.shape[0]]
    ideal_order = np.sort(relevance)[::-1][:k]
    ideal = (2.0**ideal_order - 1) @ discounts[: ideal_order.shape[0]]
    return float(gains / ideal) if ideal > 0 else 0.0


def current_weights() -> np.ndarray:
    """The served weights: the newest ``RankerVersion`` blended with the prior by
    ``n/(n + BLEND_K)`` for its n training pairs; the prior alone before any version exists."""
    from .models import RankerVersion

    latest = (
        RankerVersion.objects.order_by("-trained_at", "-pk")
        .values("pk", "weights", "sample_count")
        .first()
    )
    if latest is None:
        return PRIOR_WEIGHTS.copy()
    learned = np.array([float(latest["weights"].get(name, 0.0)) for name in FEATURES])
    return blend(learned, int(latest["sample_count"]))


# --- training on real outcomes ------------------------------------------------------------------

#: Graded relevance of the booked tutor for an outcome (the other candidates shown count 1).
BAD, GOOD, GREAT = 0, 2, 3
NEUTRAL = 1.0
NEGATIVES = 5  # other candidates per outcome, each one training pair
MIN_OUTCOMES_FOR_METRICS = 10
HOLDOUT = 0.2


@dataclass(frozen=True)
class Outcome:
    """One thing that happened between a learner and a tutor, with a graded label."""

    learner_id: int
    tutor_id: int
    subject_id: int
    grade: int  # 0 bad · 2 completed · 3 completed and rebooked / rated ≥ 4.5
    at: datetime  # when it happened (session start, or the offer's answer)
    kind: str  # completed · rebooked · low_rating · tutor_no_show · declined · help_declined
    # The learner's own review of that session when it counts in the tutor's stored rating
    # (revealed and not hidden): taken out of the tutor's rating feature for this outcome.
    own_review: float | None = None

    @property
    def good(self) -> bool:
        return self.grade > NEUTRAL


def outcomes() -> list[Outcome]:
    """Every labelled outcome so far, oldest first.

    * completed booking → 2; rated ≥ 4.5 by that learner, or rebooked (the learner booked the
      same tutor again later, unless the tutor declined it) → 3; rated below 3 → 0.
    * the tutor's no-show, or a booking request the tutor declined → 0.
    * a help-request offer the tutor declined → 0.
    * the learner's own no-show and cancellations say nothing about the tutor: skipped.

    Ratings are the learner's own review of that booking, only once revealed
    (``reviews.selectors.revealed``) — the same visibility rule as everywhere else.
    """
    from peerlearn.reviews.models import Review
    from peerlearn.reviews.selectors import revealed
    from peerlearn.scheduling.models import Booking, TimeClaim

    from .help.models import HelpOffer

    S = Booking.Status
    rows = list(
        TimeClaim.objects.filter(
            role=TimeClaim.Role.LEARNER,
            booking__status__in=(S.COMPLETED, S.NO_SHOW, S.DECLINED),
        )
        .values_list(
            "user_id",
            "booking__tutor_id",
            "booking__subject_id",
            "booking__status",
            "booking_id",
            "booking__no_show_user_id",
            "booking__starts_at",
        )
        .order_by("booking__starts_at", "booking_id")
    )
    ratings: dict[tuple[int, int], float] = {}
    counted: dict[tuple[int, int], float] = {}
    for b, a, r, hidden_at in revealed(
        Review.objects.filter(
            direction=Review.Direction.OF_TUTOR, booking_id__in={r[4] for r in rows}
        )
    ).values_list("booking_id", "author_id", "overall", "hidden_at"):
        ratings[(b, a)] = float(r)
        if hidden_at is None:
            counted[(b, a)] = float(r)
    # every (learner, tutor) booking start the tutor did not decline: for "booked again later"
    starts: dict[tuple[int, int], list[datetime]] = {}
    for learner, tutor, at in (
        TimeClaim.objects.filter(role=TimeClaim.Role.LEARNER)
        .exclude(booking__status=S.DECLINED)
        .values_list("user_id", "booking__tutor_id", "booking__starts_at")
    ):
        starts.setdefault((learner, tutor), []).append(at)

    out: list[Outcome] = []
    for learner, tutor, subject, status, booking_id, absent, at in rows:
        if learner == tutor:
            continue
        if status == S.COMPLETED:
            rating = ratings.get((booking_id, learner))
            rebooked = any(later > at for later in starts.get((learner, tutor), ()))
            if rating is not None and rating < 3:
                grade, kind = BAD, "low_rating"
            elif rebooked or (rating is not None and rating >= 4.5):
                grade, kind = GREAT, "rebooked" if rebooked else "completed"
            else:
                grade, kind = GOOD, "completed"
        elif status == S.NO_SHOW:
            if absent != tutor:
                continue  # the learner's own no-show (or unknown) says nothing about the tutor
            grade, kind = BAD, "tutor_no_show"
        else:
            grade, kind = BAD, "declined"
        own = counted.get((booking_id, learner))
        out.append(Outcome(learner, tutor, subject, grade, at, kind, own))

    for learner, tutor, subject, responded, offered in HelpOffer.objects.filter(
        status=HelpOffer.Status.DECLINED
    ).values_list(
        "request__learner_id", "tutor_id", "request__subject_id", "responded_at", "offered_at"
    ):
        out.append(Outcome(learner, tutor, subject, BAD, responded or offered, "help_declined"))
    out.sort(key=lambda o: (o.at, o.learner_id, o.tutor_id))
    return out


def _past_as_of(history: list[tuple[int, str, datetime]], at: datetime) -> dict[int, float]:
    """``recommend.learner_context``'s ``past`` (0.5 ± 0.25 per completed / declined-or-no-show
    booking with each tutor) over only the bookings that started before ``at`` — so an outcome's
    own booking never leaks into its ``past_outcomes`` feature."""
    from peerlearn.scheduling.models import Booking

    S = Booking.Status
    past: dict[int, float] = {}
    for tutor_id, status, starts_at in history:
        if starts_at >= at:
            continue
        step = 0.25 if status == S.COMPLETED else -0.25 if status in (S.NO_SHOW, S.DECLINED) else 0
        past[tutor_id] = float(np.clip(past.get(tutor_id, 0.5) + step, 0, 1))
    return past


def rating_without(index: Any, row: int, review: float) -> float:
    """The tutor's rating feature with one of their counted reviews taken out: an outcome is
    not explained by the rating its own review produced. The Bayesian average
    (C·m + Σ)/(C + n) loses ``review`` from Σ and one from n."""
    from peerlearn.reviews.selectors import PRIOR_WEIGHT

    n = float(index.rating_count[row])
    if n < 1:
        return float(index.rating_feature[row])
    weight = PRIOR_WEIGHT + n
    rating = (float(index.rating[row]) * weight - review) / (weight - 1)
    return float(np.clip((rating - 1.0) / 4.0, 0, 1))


@dataclass
class TrainingSet:
    diffs: np.ndarray  # (pairs, features): x_better − x_worse
    groups: list[tuple[np.ndarray, np.ndarray]]  # per outcome: (features, relevance)
    used: int  # outcomes that produced at least one pair


def training_pairs(
    data: list[Outcome], *, seed: int = 0, negatives: int = NEGATIVES
) -> TrainingSet:
    """Per outcome, the tutor's features for that learner and subject against up to
    ``negatives`` other candidates (random, seeded): better than them when good, worse when bad.

    Features come from today's ``TutorIndex`` and the learner's current profile, except
    ``past_outcomes``, which is recomputed as of the outcome, and the tutor's ``rating``, from
    which the outcome's own review is taken out (see docs/matching.md)."""
    from peerlearn.accounts.models import User
    from peerlearn.scheduling.models import Booking

    from .index import get_index
    from .recommend import candidates, feature_matrix, learner_context

    empty = TrainingSet(np.zeros((0, len(FEATURES))), [], 0)
    if not data:
        return empty
    index = get_index()
    rng = np.random.default_rng(seed)
    learner_ids = {o.learner_id for o in data}
    learners = {u.pk: u for u in User.objects.filter(pk__in=learner_ids).select_related("profile")}
    history: dict[int, list[tuple[int, str, datetime]]] = {}
    for user_id, tutor_id, status, starts_at in Booking.objects.filter(
        claims__user_id__in=learner_ids
    ).values_list("claims__user_id", "tutor_id", "status", "starts_at"):
        history.setdefault(user_id, []).append((tutor_id, status, starts_at))
    contexts: dict[tuple[int, int], Any] = {}
    diffs: list[np.ndarray] = []
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    for o in data:
        row = index.row_of.get(o.tutor_id)
        if row is None or o.learner_id not in learners:
            continue  # the tutor stopped teaching, or either account is gone
        key = (o.learner_id, o.subject_id)
        if key not in contexts:
            contexts[key] = learner_context(learners[o.learner_id], o.subject_id)
        ctx = replace(contexts[key], past=_past_as_of(history.get(o.learner_id, []), o.at))
        exclude = [index.row_of[o.learner_id]] if o.learner_id in index.row_of else []
        rows, match, _, verified = candidates(index, ctx, np.array(exclude, dtype=np.int64))
        others = rows[rows != row]
        if others.size == 0:
            continue
        sample = rng.choice(others, min(negatives, others.size), replace=False)
        X, _ = feature_matrix(index, ctx, np.concatenate([[row], sample]), match, verified)
        if o.own_review is not None:
            X[0, RATING] = rating_without(index, row, o.own_review)
        d = X[0] - X[1:]
        diffs.extend(d if o.good else -d)
        rel = np.full(X.shape[0], NEUTRAL)
        rel[0] = float(o.grade)
        groups.append((X, rel))
    if not diffs:
        return empty
    return TrainingSet(np.array(diffs), groups, len(groups))


def evaluate(data: list[Outcome], *, holdout: float = HOLDOUT) -> dict[str, float]:
    """NDCG@10 on the newest ``holdout`` share of outcomes (time split): the prior, and the
    served blend of a ranker fit on the older rest."""
    from .index import get_index

    get_index(force=True)  # score on today's data, not a stale per-process copy
    cut = int(len(data) * (1 - holdout))
    train = training_pairs(data[:cut])
    test = training_pairs(data[cut:], seed=1)
    learned = blend(fit_pairwise(train.diffs), train.diffs.shape[0])
    metrics = {
        "ndcg_prior": 0.0,
        "ndcg_learned": 0.0,
        "train_pairs": float(train.diffs.shape[0]),
        "test_groups": float(len(test.groups)),
    }
    if test.groups:
        metrics["ndcg_prior"] = float(
            np.mean([ndcg_at(X @ PRIOR_WEIGHTS, rel) for X, rel in test.groups])
        )
        metrics["ndcg_learned"] = float(
            np.mean([ndcg_at(X @ learned, rel) for X, rel in test.groups])
        )
    return metrics


@dataclass
class TrainResult:
    version: RankerVersion | None  # None: nothing to learn from, the prior stays in use
    outcomes: int
    pairs: int
    message: str


def train() -> TrainResult:
    """Fit the pairwise ranker on every outcome so far and store it as the newest
    ``RankerVersion`` (served blended with the prior by ``current_weights``). With no usable
    outcome nothing is stored and the prior (or the previous version) stays in use."""
    from django.db import transaction

    from .index import get_index
    from .models import RankerVersion

    data = outcomes()
    get_index(force=True)  # features from today's data, not a stale per-process copy
    ts = training_pairs(data)
    if ts.diffs.shape[0] == 0:
        return TrainResult(
            None,
            len(data),
            0,
            f"no usable outcomes yet ({len(data)} found, 0 training pairs): "
            "nothing stored, serving the hand-set prior"
            + (" blended with the previous version" if RankerVersion.objects.exists() else ""),
        )
    learned = fit_pairwise(ts.diffs)
    metrics: dict[str, float] = {"outcomes": float(len(data)), "used_outcomes": float(ts.used)}
    if len(data) >= MIN_OUTCOMES_FOR_METRICS:
        metrics |= evaluate(data)
    with transaction.atomic():
        version = RankerVersion.objects.create(
            weights={name: float(w) for name, w in zip(FEATURES, learned, strict=True)},
            features=list(FEATURES),
            sample_count=int(ts.diffs.shape[0]),
            metrics=metrics,
        )
    n = version.sample_count
    return TrainResult(
        version,
        len(data),
        n,
        f"ranker v{version.pk}: {len(data)} outcomes, {n} pairs, "
        f"served as {n / (n + BLEND_K):.0%} learned + {BLEND_K / (n + BLEND_K):.0%} prior",
    )
