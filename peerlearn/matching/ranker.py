"""The learned ranker: weights over ``recommend.FEATURES`` learned from what was shown.

**Data** (``logged_slates``): every recommendation list and help-request round in the
impression log (``models.Impression``) whose learner went on to book one of the tutors shown;
the features are those stored *as shown* (no later data leaks in). The booked tutor's grade
comes from the outcome: 3 a session the learner rated well above their own habit or booked
again, 2 a completed session (unrated, or near their habit), 1 clearly below their habit, 0 the
tutor did not come or declined; a booking still ahead or cancelled by the learner is not a
label yet. The other tutors shown are the negatives (grade ``SHOWN``).

**Exposure correction**: a booked tutor at position k counts ``1 / (θ_k · p)`` — θ_k =
1/log2(k + 1) the chance a learner looks that far (the DCG examination model) and p the
propensity that the serving policy put that tutor there (1, or the Thompson draw's share for an
explored place) — clipped at ``MAX_WEIGHT`` to bound the variance.

**Fit** (``fit_from_prior``): weighted pairwise logistic regression over two kinds of pairs,
pulled towards the hand-set prior by an L2 term that fades as labelled sessions accrue
(``PRIOR_SESSIONS`` / sessions), normalised to the prior's L1 norm. *Outcome pairs* (weight
1): two booked sessions with different grades, the better one above — what the features said
before each session against how it went, which no capacity or position effect confounds.
*Choice pairs* (weight ``CHOICE_SHARE``): within a slate, the booked tutor above each other one
shown when it went well (below them when it went badly) — but only against tutors who still
had room (``room`` as logged): a full tutor not chosen says nothing about them.

**Promotion** (``train``): slates are split by time; the newest ``HOLDOUT`` are scored, with the
same exposure weights, for the served model, blends of it with the new fit, the plain rating
sort and a random order. The best blend is stored as promoted only when its scores foretell the
held-out sessions' outcomes better than both the served model's and the rating sort's
(``concordance``) with at least ``MIN_TEST_SLATES``, beats the served model in at least
``PROMOTE_CONFIDENCE`` of bootstrap resamples of those sessions, and does not re-rank the
held-out lists worse than the served model (NDCG@10 within ``NDCG_TOLERANCE``); otherwise it
is stored for the record and the served model stays. ``current_model`` serves the newest
promoted version (the hand-set prior before any).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from peerlearn.scheduling.models import Booking

from .recommend import FEATURES, NEUTRAL, PRIOR_WEIGHTS

if TYPE_CHECKING:
    from .models import RankerVersion

RATING = FEATURES.index("rating")
SHOWN = 1.0  # grade of a tutor shown but not booked
MAX_WEIGHT = 10.0
CHOICE_SHARE = 0.3  # weight of the within-slate choice pairs against the outcome pairs
OUTCOME_PAIRS = 8  # outcome pairs per booked session (sampled, seeded)
HOLDOUT = 0.25
MIN_TEST_SLATES = 20
PROMOTE_MARGIN = 0.002
#: A blend is promoted only when it beats the served model in at least this share of bootstrap
#: resamples of the held-out sessions (``beats_share``): a win the size of the noise is no win.
PROMOTE_CONFIDENCE = 0.9
BOOTSTRAP = 200
NDCG_TOLERANCE = 0.01  # a promoted blend may not re-rank held-out lists worse than this
BLENDS = (0.25, 0.5, 0.75, 1.0)
#: Pseudo-sessions of the prior in ``fit_from_prior``: the pull towards it is this over the
#: labelled sessions. 4 let ~250 sessions move style fit from .03 to .19 and shared time from
#: .02 to .14 — cross-learner correlations that ranked worse against a hidden truth — so the
#: prior now weighs about ten times more.
PRIOR_SESSIONS = 40.0
GREAT_Y, POOR_Y = 0.5, -0.75  # habit-relative outcome bounds of grades 3 and 1


def fit_pairwise(
    diffs: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    l2: float = 1e-3,
    iters: int = 400,
    lr: float = 0.5,
    anchor: np.ndarray | None = None,
) -> np.ndarray:
    """Weights w minimising the weighted mean of log(1 + exp(−w·d)) + l2·|w − anchor|² over
    the rows d of ``diffs`` (``anchor``: the prior, default zero), rescaled to the prior's L1
    norm so versions compare."""
    w = PRIOR_WEIGHTS.copy()
    if diffs.shape[0] == 0:
        return w
    centre = np.zeros_like(w) if anchor is None else anchor
    sw = np.ones(diffs.shape[0]) if weights is None else weights
    sw = sw / sw.sum()
    for _ in range(iters):
        margin = diffs @ w
        p = 1.0 / (1.0 + np.exp(np.clip(margin, -30, 30)))  # σ(−margin)
        grad = -(diffs * (p * sw)[:, None]).sum(axis=0)
        # a proximal step for the L2 term: stable for any strength (a plain gradient step
        # overshoots once lr · 2 · l2 > 1)
        w = (w - lr * grad + 2 * lr * l2 * centre) / (1 + 2 * lr * l2)
    return normalise(w)


def fit_from_prior(diffs: np.ndarray, weights: np.ndarray, sessions: int) -> np.ndarray:
    """``fit_pairwise`` pulled towards the hand-set prior with a strength that fades as
    labelled sessions accrue (``PRIOR_SESSIONS / sessions``): with little evidence the fit stays
    near the prior (whose strongest terms are the displayed, shrunk rating and the per-topic
    quality), and the learned terms move it only as outcomes accumulate."""
    return fit_pairwise(diffs, weights, l2=PRIOR_SESSIONS / max(sessions, 1), anchor=PRIOR_WEIGHTS)


def normalise(w: np.ndarray) -> np.ndarray:
    total = np.abs(w).sum()
    return w * (np.abs(PRIOR_WEIGHTS).sum() / total) if total > 0 else PRIOR_WEIGHTS.copy()


def ndcg_at(scores: np.ndarray, relevance: np.ndarray, k: int = 10) -> float:
    """NDCG@k of ordering by ``scores`` against graded ``relevance`` (2^rel − 1 gains)."""
    order = np.argsort(-scores, kind="stable")[:k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = (2.0 ** relevance[order] - 1) @ discounts[: order.shape[0]]
    ideal_order = np.sort(relevance)[::-1][:k]
    ideal = (2.0**ideal_order - 1) @ discounts[: ideal_order.shape[0]]
    return float(gains / ideal) if ideal > 0 else 0.0


def examination(position: int) -> float:
    return float(1.0 / np.log2(position + 1))


def weights_of(version: dict[str, float] | None) -> np.ndarray:
    """A stored ``{feature: weight}`` as a vector over today's FEATURES (a feature the version
    did not know gets the prior's weight)."""
    if not version:
        return PRIOR_WEIGHTS.copy()
    return np.array([float(version.get(name, PRIOR_WEIGHTS[i])) for i, name in enumerate(FEATURES)])


def current_model() -> tuple[np.ndarray, int | None]:
    """(served weights, their RankerVersion id): the newest promoted version; the hand-set
    prior (id None) before any version won its evaluation."""
    from .models import RankerVersion

    latest = (
        RankerVersion.objects.filter(promoted=True)
        .order_by("-trained_at", "-pk")
        .values("pk", "weights")
        .first()
    )
    if latest is None:
        return PRIOR_WEIGHTS.copy(), None
    return weights_of(latest["weights"]), int(latest["pk"])


# --- the logged data ------------------------------------------------------------------------


@dataclass
class LoggedSlate:
    """One list shown that led to a labelled booking."""

    shown_at: datetime
    X: np.ndarray  # (shown, features) as shown
    grade: np.ndarray  # booked: 0..3; others SHOWN
    booked: int  # index of the booked row
    weight: float  # exposure correction of the booked row
    learner_id: int
    tutor_ids: list[int]
    room: np.ndarray | None = None  # sessions each shown tutor could still take (logged)

    @property
    def good(self) -> bool:
        return bool(self.grade[self.booked] > SHOWN)


def grade_of(outcome: str, y: float | None) -> float | None:
    """The booked tutor's grade from the booking's outcome and the learner's habit-relative
    rating of it (None: no label yet)."""
    if outcome in ("no_show", "declined"):
        return 0.0
    if outcome != "completed":
        return None
    if y is None:
        return 2.0
    if y >= GREAT_Y:
        return 3.0
    if y <= POOR_Y:
        return 1.0 if y > 2 * POOR_Y else 0.0
    return 2.0


def logged_slates(*, until: datetime | None = None) -> list[LoggedSlate]:
    """Every labelled slate of the recommendation and help-offer surfaces, oldest first
    (bookings are linked to impressions first: ``impressions.impressions_attribute``)."""
    from .impressions import impression_outcomes, impressions_attribute
    from .models import Impression
    from .quality import session_outcomes

    impressions_attribute()
    relative = {(o.learner_id, o.tutor_id, o.at): o.y for o in session_outcomes(until=until)}
    groups: dict[Any, list[dict[str, Any]]] = {}
    for surface in (Impression.Surface.RECOMMENDED, Impression.Surface.HELP_OFFER):
        for row in impression_outcomes(surface=surface, until=until):
            groups.setdefault(row["slate"], []).append(row)
    starts = _booking_starts({r["booking_id"] for rows in groups.values() for r in rows})
    out: list[LoggedSlate] = []
    for rows in groups.values():
        rows.sort(key=lambda r: r["position"])
        booked = [i for i, r in enumerate(rows) if r["booking_id"]]
        if len(booked) != 1 or len(rows) < 2:
            continue
        b = rows[booked[0]]
        start = starts.get(b["booking_id"])
        y = relative.get((b["viewer_id"], b["tutor_id"], start)) if start else None
        grade = grade_of(b["outcome"], y)
        if grade is None:
            continue
        room = np.array([float(r["features"].get("room", 1.0)) for r in rows])
        X = np.array(
            [
                [float(r["features"].get(f, NEUTRAL[i])) for i, f in enumerate(FEATURES)]
                for r in rows
            ]
        )
        grades = np.full(len(rows), SHOWN)
        grades[booked[0]] = grade
        weight = min(MAX_WEIGHT, 1.0 / (examination(b["position"]) * float(b["propensity"])))
        out.append(
            LoggedSlate(
                b["shown_at"],
                X,
                grades,
                booked[0],
                weight,
                b["viewer_id"],
                [r["tutor_id"] for r in rows],
                room,
            )
        )
    out.sort(key=lambda s: s.shown_at)
    return out


def _booking_starts(booking_ids: set[int]) -> dict[int, datetime]:
    return dict(Booking.objects.filter(pk__in=booking_ids).values_list("pk", "starts_at"))


def choice_pairs(slates: list[LoggedSlate]) -> tuple[np.ndarray, np.ndarray]:
    """(diffs, weights): within each slate, the booked tutor against each other one shown who
    still had room, oriented better − worse by the outcome; the slate's exposure weight shared
    among its pairs."""
    diffs: list[np.ndarray] = []
    weights: list[float] = []
    for s in slates:
        if s.grade[s.booked] == SHOWN:
            continue  # a mediocre session: neither better nor worse than the others
        others = np.delete(np.arange(s.X.shape[0]), s.booked)
        if s.room is not None:
            others = others[s.room[others] >= 1]
        if others.size == 0:
            continue
        d = s.X[s.booked] - s.X[others]
        diffs.extend(d if s.good else -d)
        weights.extend([s.weight / others.size] * others.size)
    if not diffs:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.array(diffs), np.array(weights)


def outcome_pairs(slates: list[LoggedSlate], *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(diffs, weights): booked sessions with different grades, the better one's features minus
    the worse one's (up to ``OUTCOME_PAIRS`` sampled per session), weighted by the mean of the
    two exposure weights."""
    rng = np.random.default_rng(seed)
    if len(slates) < 2:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    x = np.array([s.X[s.booked] for s in slates])
    g = np.array([s.grade[s.booked] for s in slates])
    w = np.array([s.weight for s in slates])
    diffs: list[np.ndarray] = []
    weights: list[float] = []
    for i in range(len(slates)):
        for j in rng.choice(len(slates), min(OUTCOME_PAIRS, len(slates)), replace=False):
            if g[i] > g[j]:
                diffs.append(x[i] - x[j])
                weights.append(0.5 * (w[i] + w[j]))
    if not diffs:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.array(diffs), np.array(weights)


def pairs(slates: list[LoggedSlate]) -> tuple[np.ndarray, np.ndarray]:
    """Every training pair: outcome pairs (weight 1) and choice pairs (``CHOICE_SHARE``), each
    kind normalised to its share of the total weight."""
    out_d, out_w = outcome_pairs(slates)
    ch_d, ch_w = choice_pairs(slates)
    parts_d, parts_w = [], []
    for d, w, share in ((out_d, out_w, 1.0), (ch_d, ch_w, CHOICE_SHARE)):
        if d.shape[0]:
            parts_d.append(d)
            parts_w.append(share * w / w.sum())
    if not parts_d:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.vstack(parts_d), np.concatenate(parts_w)


# --- evaluation -----------------------------------------------------------------------------


def evaluate_policies(
    slates: list[LoggedSlate], policies: dict[str, np.ndarray | str], *, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Per policy — a weight vector, ``"rating"`` (the displayed rating as shown) or
    ``"random"`` (mean of 20 shuffles): ``outcome``, the concordance of its scores with how the
    held-out booked sessions went (``concordance``), and, re-ranking each held-out slate,
    exposure-weighted ``ndcg`` (NDCG@10) and ``hit1`` (a well-rated booked tutor first, a
    badly rated one not first) — the last two measure agreement with past choices, which
    capacity and position also shaped, so promotion reads ``outcome``."""
    rng = np.random.default_rng(seed)
    total = sum(s.weight for s in slates) or 1.0
    out: dict[str, dict[str, float]] = {}
    booked_x = np.array([s.X[s.booked] for s in slates]) if slates else np.zeros((0, 1))
    grades = np.array([s.grade[s.booked] for s in slates])
    sw = np.array([s.weight for s in slates])
    for name, policy in policies.items():
        ndcg = hit = 0.0
        for s in slates:
            draws: list[np.ndarray]
            if isinstance(policy, str) and policy == "random":
                draws = [np.asarray(rng.random(s.X.shape[0])) for _ in range(20)]
            elif isinstance(policy, str):
                draws = [s.X[:, RATING] + 1e-9 * rng.random(s.X.shape[0])]
            else:
                draws = [s.X @ policy]
            n_ = float(np.mean([ndcg_at(d, s.grade) for d in draws]))
            first = float(np.mean([int(np.argmax(d)) == s.booked for d in draws]))
            ndcg += s.weight * n_
            hit += s.weight * (first if s.good else 1.0 - first)
        out[name] = {
            "ndcg": ndcg / total,
            "hit1": hit / total,
            "outcome": concordance(booked_x, grades, sw, policy, rng) if slates else 0.5,
        }
    return out


def concordance(
    x: np.ndarray,
    grades: np.ndarray,
    weights: np.ndarray,
    policy: np.ndarray | str,
    rng: np.random.Generator,
) -> float:
    """Over every pair of booked sessions with different grades: the exposure-weighted share
    the policy scored the better one higher (ties count half) — does the score foretell how a
    session goes? 0.5 is chance."""
    if isinstance(policy, str) and policy == "random":
        return 0.5
    score = x[:, RATING] if isinstance(policy, str) else x @ policy
    better = grades[:, None] > grades[None, :]
    if not better.any():
        return 0.5
    pair_w = (weights[:, None] + weights[None, :]) * better
    right = (score[:, None] > score[None, :]) + 0.5 * (score[:, None] == score[None, :])
    return float((pair_w * right).sum() / pair_w.sum())


def beats_share(
    slates: list[LoggedSlate],
    mine: np.ndarray,
    other: np.ndarray | str,
    *,
    resamples: int = BOOTSTRAP,
    seed: int = 0,
) -> float:
    """The share of bootstrap resamples of the held-out booked sessions in which ``mine``'s
    ``concordance`` beats ``other``'s (ties count half)."""
    if len(slates) < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    x = np.array([s.X[s.booked] for s in slates])
    grades = np.array([s.grade[s.booked] for s in slates])
    sw = np.array([s.weight for s in slates])
    wins = 0.0
    for _ in range(resamples):
        pick = rng.integers(0, len(slates), len(slates))
        a = concordance(x[pick], grades[pick], sw[pick], mine, rng)
        b = concordance(x[pick], grades[pick], sw[pick], other, rng)
        wins += 1.0 if a > b else 0.5 if a == b else 0.0
    return wins / resamples


@dataclass
class Evaluation:
    train_slates: int
    test_slates: int
    metrics: dict[str, dict[str, float]]
    best_blend: float
    promote: bool
    reason: str
    confidence: float | None = None  # share of bootstrap resamples the blend beat the served


def evaluate(slates: list[LoggedSlate], *, holdout: float = HOLDOUT) -> Evaluation:
    """Time split: fit on the older slates, score the newest ``holdout`` share: the served
    model, each blend of it with the fit, the rating sort and random order."""
    served, _ = current_model()
    cut = int(len(slates) * (1 - holdout))
    train_set, test_set = slates[:cut], slates[cut:]
    diffs, w = pairs(train_set)
    fitted = fit_from_prior(diffs, w, len(train_set))
    policies: dict[str, np.ndarray | str] = {
        "served": served,
        "rating": "rating",
        "random": "random",
    }
    for alpha in BLENDS:
        policies[f"blend {alpha:.2f}"] = normalise(alpha * fitted + (1 - alpha) * served)
    metrics = evaluate_policies(test_set, policies) if test_set else {}
    if len(test_set) < MIN_TEST_SLATES or not metrics:
        return Evaluation(
            len(train_set),
            len(test_set),
            metrics,
            0.0,
            False,
            f"{len(test_set)} held-out slates (< {MIN_TEST_SLATES}): not enough evidence",
        )
    best = max(BLENDS, key=lambda a: metrics[f"blend {a:.2f}"]["outcome"])
    mine = metrics[f"blend {best:.2f}"]["outcome"]
    if mine < metrics["served"]["outcome"] + PROMOTE_MARGIN:
        return Evaluation(
            len(train_set), len(test_set), metrics, best, False, "does not beat the served model"
        )
    blend = policies[f"blend {best:.2f}"]
    assert not isinstance(blend, str)
    confidence = beats_share(test_set, blend, served)
    if confidence < PROMOTE_CONFIDENCE:
        return Evaluation(
            len(train_set),
            len(test_set),
            metrics,
            best,
            False,
            f"beats the served model in only {confidence:.0%} of bootstrap resamples "
            f"(< {PROMOTE_CONFIDENCE:.0%}): within the noise",
            confidence,
        )
    if metrics[f"blend {best:.2f}"]["ndcg"] < metrics["served"]["ndcg"] - NDCG_TOLERANCE:
        return Evaluation(
            len(train_set),
            len(test_set),
            metrics,
            best,
            False,
            "ranks the held-out lists worse than the served model",
            confidence,
        )
    if mine < metrics["rating"]["outcome"]:
        return Evaluation(
            len(train_set),
            len(test_set),
            metrics,
            best,
            False,
            "does not beat the rating sort",
            confidence,
        )
    return Evaluation(
        len(train_set),
        len(test_set),
        metrics,
        best,
        True,
        "beats the served model and the rating sort",
        confidence,
    )


@dataclass
class TrainResult:
    version: RankerVersion | None  # None: nothing to learn from
    slates: int
    pairs: int
    promoted: bool
    message: str
    evaluation: Evaluation | None = None


def train(*, until: datetime | None = None) -> TrainResult:
    """Fit on every labelled slate, evaluate on the newest ones (``evaluate``) and store a
    ``RankerVersion``: promoted (served from now on) only when it won; with no labelled slate
    nothing is stored and the served model stays."""
    from django.db import transaction

    from .models import RankerVersion

    slates = logged_slates(until=until)
    diffs, w = pairs(slates)
    if diffs.shape[0] == 0:
        return TrainResult(
            None,
            len(slates),
            0,
            False,
            f"no labelled impressions yet ({len(slates)} slates): nothing stored, the served "
            "model stays",
        )
    evaluation = evaluate(slates)
    served, _ = current_model()
    fitted = fit_from_prior(diffs, w, len(slates))
    alpha = evaluation.best_blend if evaluation.promote else 1.0
    final = normalise(alpha * fitted + (1 - alpha) * served) if evaluation.promote else fitted
    metrics: dict[str, Any] = {
        "slates": len(slates),
        "train_slates": evaluation.train_slates,
        "test_slates": evaluation.test_slates,
        "blend": alpha,
        "reason": evaluation.reason,
        "confidence": evaluation.confidence,
        "policies": evaluation.metrics,
    }
    with transaction.atomic():
        version = RankerVersion.objects.create(
            weights={name: float(v) for name, v in zip(FEATURES, final, strict=True)},
            features=list(FEATURES),
            sample_count=int(diffs.shape[0]),
            metrics=metrics,
            promoted=evaluation.promote,
        )
    verdict = "promoted" if evaluation.promote else "kept for the record, not served"
    return TrainResult(
        version,
        len(slates),
        int(diffs.shape[0]),
        evaluation.promote,
        f"ranker v{version.pk}: {len(slates)} labelled slates, {diffs.shape[0]} pairs; "
        f"{verdict} ({evaluation.reason})",
        evaluation,
    )
