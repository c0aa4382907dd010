"""Where a tutor is good: per tutor × topic estimates of how sessions go, with shrinkage, and
how many more learners each tutor can take (capacity against recent demand).

Every number here comes from what the services record — revealed reviews, bookings and their
outcomes, availability, policies and the impression log — never from anything else.

**Session outcome** (one per completed session the learner reviewed, once revealed and not
hidden): the learner's scores *relative to their own rating habit*: ``0.5·(overall − habit) +
0.5·mean over the four tutor dimensions (score − that dimension's habit)``, where a learner's
habit is their mean score shrunk to the platform mean with ``HABIT_K`` pseudo-reviews (a
generous rater's 5★ counts for less than a strict rater's). Booking the same tutor again later
adds ``REBOOK_BONUS``.

**Shrinkage** (empirical Bayes, Gaussian, nested): platform (0) → tutor (all their outcomes) →
subject (outcomes in topics of that subject) → topic (outcomes in the topic). Each level's
posterior is the next level's prior: ``mean = (prior/τ² + Σy/σ²) / (1/τ² + n/σ²)``; σ² (outcome
noise) and τ² (between-tutor spread) are estimated from the data by moments, with floors. A
tutor with no outcomes in a topic gets their tutor (or subject) estimate with a wide variance —
which Thompson sampling (``recommend``) turns into a fair chance.

Built per ``TutorIndex`` (the index's fingerprint already moves with bookings and ratings) and
cached per process; ``Demand`` adds the impressions served since.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from django.utils import timezone

from peerlearn.reviews.models import TUTOR_DIMENSIONS, Review
from peerlearn.reviews.selectors import revealed
from peerlearn.scheduling.models import Booking, TimeClaim, TutorPolicy

if TYPE_CHECKING:
    from .index import TutorIndex

HABIT_K = 1.0  # pseudo-reviews at the platform mean in a learner's habit
REBOOK_BONUS = 0.5
NOISE_FLOOR = 0.15  # σ² floor
SPREAD_FLOOR = 0.05  # τ² floor
SPREAD_DEFAULT = 0.3  # τ² with too few tutors to estimate
NOISE_DEFAULT = 0.6
SUBJECT_SHARE = 0.5  # τ²_subject = share · τ²_tutor
TOPIC_SHARE = 1.0  # τ²_topic = share · τ²_tutor (topics can differ as much as tutors)
QUALITY_SCALE = 0.6  # feature = 0.5 + 0.5·tanh(mean / scale)
HORIZON_DAYS = 14
SESSION_HOURS = 1.0
UPTAKE = 0.35  # share of learners shown a tutor in their top 3 who then book them
DEMAND_WINDOW = timedelta(days=7)
DEMAND_REFRESH = timedelta(seconds=60)


def quality_feature(mean: np.ndarray | float) -> np.ndarray:
    return 0.5 + 0.5 * np.tanh(np.asarray(mean, dtype=np.float64) / QUALITY_SCALE)


@dataclass(frozen=True)
class SessionOutcome:
    learner_id: int
    tutor_id: int
    subject_id: int
    y: float  # relative to the learner's habit, rebooking included
    at: datetime


def session_outcomes(*, until: datetime | None = None) -> list[SessionOutcome]:
    """Every completed session the learner reviewed (revealed, not hidden) and that ended
    before ``until``, as a habit-relative outcome (see the module docstring), oldest first."""
    now = until or timezone.now()
    qs = revealed(
        Review.objects.filter(
            direction=Review.Direction.OF_TUTOR,
            hidden_at__isnull=True,
            booking__status=Booking.Status.COMPLETED,
            booking__ends_at__lte=now,
        ),
        now,
    )
    rows = list(
        qs.values_list(
            "author_id",
            "subject_id",
            "booking__subject_id",
            "booking__starts_at",
            "overall",
            *TUTOR_DIMENSIONS,
        ).order_by("booking__starts_at", "pk")
    )
    if not rows:
        return []
    overall = np.array([float(r[4]) for r in rows])
    dims = np.array(
        [[np.nan if v is None else float(v) for v in r[5:]] for r in rows], dtype=np.float64
    )
    platform = float(overall.mean())
    nd = dims.shape[1]
    platform_dims = [
        float(np.nanmean(dims[:, d])) if (~np.isnan(dims[:, d])).any() else platform
        for d in range(nd)
    ]
    # per learner: [Σ overall, n, Σ dim_d…, n_d…]
    sums: dict[int, np.ndarray] = {}
    for i, r in enumerate(rows):
        acc = sums.setdefault(r[0], np.zeros(2 + 2 * nd))
        acc[0] += overall[i]
        acc[1] += 1
        present = ~np.isnan(dims[i])
        acc[2 : 2 + nd] += np.nan_to_num(dims[i])
        acc[2 + nd :] += present
    starts: dict[tuple[int, int], list[datetime]] = {}
    for learner, tutor, at in (
        TimeClaim.objects.filter(role=TimeClaim.Role.LEARNER, booking__starts_at__lt=now)
        .exclude(booking__status=Booking.Status.DECLINED)
        .values_list("user_id", "booking__tutor_id", "booking__starts_at")
    ):
        starts.setdefault((learner, tutor), []).append(at)
    out = []
    for i, r in enumerate(rows):
        acc = sums[r[0]]
        habit = (HABIT_K * platform + acc[0]) / (HABIT_K + acc[1])
        rel = [
            dims[i, d] - (HABIT_K * platform_dims[d] + acc[2 + d]) / (HABIT_K + acc[2 + nd + d])
            for d in range(nd)
            if not np.isnan(dims[i, d])
        ]
        y = 0.5 * (overall[i] - habit) + 0.5 * (float(np.mean(rel)) if rel else overall[i] - habit)
        if any(later > r[3] for later in starts.get((r[0], r[1]), ())):
            y += REBOOK_BONUS
        out.append(SessionOutcome(r[0], r[1], r[2], float(y), r[3]))
    return out


@dataclass
class Quality:
    """Posterior means and variances over a ``TutorIndex``'s rows: per row (tutor level) and,
    per subject id, sparse overrides ``(sorted rows, mean, var)`` for the tutors with outcomes in
    that subject's tree or its parent's (subject, then topic level). A tutor without any gets
    the tutor level with the subject and topic spreads added to its variance."""

    tutor_mean: np.ndarray
    tutor_var: np.ndarray
    by_subject: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    # subject id -> {row: (outcomes in it or under it, their mean)}: what explanations may cite
    seen: dict[int, dict[int, tuple[int, float]]] = field(default_factory=dict)
    noise: float = NOISE_DEFAULT
    spread: float = SPREAD_DEFAULT
    outcomes: int = 0
    _features: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _tutor_feature: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def tutor_feature(self) -> np.ndarray:
        """``quality_feature`` of every tutor-level mean (computed once)."""
        if self._tutor_feature is None:
            self._tutor_feature = quality_feature(self.tutor_mean)
        return self._tutor_feature

    def subject_feature(self, sid: int) -> np.ndarray | None:
        """``quality_feature`` of the override means of ``sid`` (computed once; None: none)."""
        cached = self._features.get(sid)
        if cached is None and sid in self.by_subject:
            cached = self._features[sid] = quality_feature(self.by_subject[sid][1])
        return cached

    def column(self, rows: np.ndarray, via: np.ndarray, subjects: list[int]) -> np.ndarray:
        """The quality feature of sorted index ``rows``, each in the subject it matched through
        (``via`` per index row), ``subjects`` being the subject ids that matching took."""
        q = self.tutor_feature[rows]
        taken = [sid for sid in dict.fromkeys(subjects) if sid in self.by_subject]
        if not taken or rows.size == 0:
            return q
        # every taken subject's overrides at once: a row keeps the one of the subject it
        # matched through (one searchsorted, not one per subject)
        over = np.concatenate([self.by_subject[sid][0] for sid in taken])
        feature = np.concatenate([self.subject_feature(sid) for sid in taken])
        sid_of = np.repeat(np.array(taken), [self.by_subject[sid][0].size for sid in taken])
        mine = via[over] == sid_of
        over, feature = over[mine], feature[mine]
        pos = np.searchsorted(rows, over)
        pos_ok = np.minimum(pos, rows.size - 1)
        hit = (pos < rows.size) & (rows[pos_ok] == over)
        q[pos[hit]] = feature[hit]
        return q

    def posterior(
        self, index: TutorIndex, rows: np.ndarray, via: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mean, variance) for a few index ``rows`` in the subject each matched through
        (``via``, -1: none)."""
        mean, var = self.tutor_mean[rows], self.tutor_var[rows]  # copies (fancy indexing)
        matched = via >= 0
        var[matched] += (SUBJECT_SHARE + TOPIC_SHARE) * self.spread
        for sid in np.unique(via[matched]).tolist():  # one lookup per subject, not per row
            entry = self.by_subject.get(sid)
            if entry is None:
                continue
            mine = np.flatnonzero(via == sid)
            over = entry[0]
            pos = np.searchsorted(over, rows[mine])
            found = pos < over.size
            found[found] = over[pos[found]] == rows[mine][found]
            mean[mine[found]], var[mine[found]] = entry[1][pos[found]], entry[2][pos[found]]
        return mean, var

    @classmethod
    def flat(cls, index: TutorIndex) -> Quality:
        """No outcomes: everybody at the platform mean, with the prior's variance."""
        q = cls(np.zeros(index.size), np.full(index.size, SPREAD_DEFAULT))
        q.seen, q.by_subject = {}, {}
        return q


def _posterior(
    prior_mean: np.ndarray,
    prior_var: np.ndarray | float,
    total: np.ndarray,
    n: np.ndarray,
    noise: float,
) -> tuple[np.ndarray, np.ndarray]:
    precision = 1.0 / prior_var + n / noise
    return (prior_mean / prior_var + total / noise) / precision, 1.0 / precision


def estimate(index: TutorIndex, outcomes: list[SessionOutcome]) -> Quality:
    """The nested shrinkage estimates of the module docstring over ``outcomes``."""
    if not outcomes:
        return Quality.flat(index)
    n = index.size
    rows = np.array([index.row_of.get(o.tutor_id, -1) for o in outcomes], dtype=np.int64)
    keep = rows >= 0
    y = np.array([o.y for o in outcomes])[keep]
    rows = rows[keep]
    subjects = np.array([o.subject_id for o in outcomes], dtype=np.int64)[keep]
    if y.size == 0:
        return Quality.flat(index)
    total = np.bincount(rows, weights=y, minlength=n)
    count = np.bincount(rows, minlength=n).astype(np.float64)
    # σ²: pooled within-tutor variance; τ²: variance of tutor means minus their noise share.
    sq = np.bincount(rows, weights=y * y, minlength=n)
    multi = count > 1
    if multi.sum() >= 3:
        within = (sq[multi] - total[multi] ** 2 / count[multi]).sum() / (count[multi] - 1).sum()
        noise = max(float(within), NOISE_FLOOR)
    else:
        noise = NOISE_DEFAULT
    seen = count > 0
    if seen.sum() >= 5:
        means = total[seen] / count[seen]
        spread = max(float(means.var() - np.mean(noise / count[seen])), SPREAD_FLOOR)
    else:
        spread = SPREAD_DEFAULT
    tutor_mean, tutor_var = _posterior(np.zeros(n), spread, total, count, noise)

    # outcomes per (subject id, row): in that subject or any topic under it
    seen_in: dict[int, dict[int, list[float]]] = {}
    for r, s, value in zip(rows.tolist(), subjects.tolist(), y.tolist(), strict=True):
        level: int | None = s
        while level is not None:
            seen_in.setdefault(level, {}).setdefault(r, []).append(value)
            level = index.parent_of.get(level)
    by_subject: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for sid, (srows, _, _) in index.by_subject.items():
        parent = index.parent_of.get(sid)
        levels = [(seen_in.get(parent, {}), SUBJECT_SHARE)] if parent is not None else []
        levels.append((seen_in.get(sid, {}), TOPIC_SHARE))
        with_data = sorted({r for seen_here, _ in levels for r in seen_here} & set(srows.tolist()))
        if not with_data:
            continue
        over = np.array(with_data, dtype=np.int64)
        mean, var = tutor_mean[over].copy(), tutor_var[over].copy()
        for seen_here, share in levels:
            var = var + share * spread  # the level's own spread around its prior
            pos = np.array([i for i, r in enumerate(with_data) if r in seen_here], dtype=int)
            if pos.size == 0:
                continue
            tot = np.array([sum(seen_here[with_data[i]]) for i in pos])
            cnt = np.array([len(seen_here[with_data[i]]) for i in pos], dtype=np.float64)
            mean[pos], var[pos] = _posterior(mean[pos], var[pos], tot, cnt, noise)
        by_subject[sid] = (over, mean, var)
    cited = {
        sid: {r: (len(values), float(np.mean(values))) for r, values in per_row.items()}
        for sid, per_row in seen_in.items()
    }
    return Quality(
        tutor_mean,
        tutor_var,
        by_subject=by_subject,
        seen=cited,
        noise=noise,
        spread=spread,
        outcomes=int(y.size),
    )


# --- capacity and demand ----------------------------------------------------------------------


@dataclass
class Capacity:
    """Per index row: sessions the tutor can still take in the next ``HORIZON_DAYS`` (their free
    weekly hours over the horizon, at most their daily cap per available day, minus sessions
    already booked), and learners recently shown them in a top 3 (``Demand``)."""

    sessions: np.ndarray


def capacity(index: TutorIndex, now: datetime | None = None) -> Capacity:
    from django.db.models import Count

    now = now or timezone.now()
    weekly_hours = np.bitwise_count(index.week).sum(axis=1).astype(np.float64)
    hours = np.unpackbits(index.week.view(np.uint8), axis=1, bitorder="little")[:, :168]
    days_with_hours = hours.reshape(index.size, 7, 24).any(axis=2).sum(axis=1)
    default_cap = TutorPolicy._meta.get_field("max_sessions_per_day").default
    cap_per_day = np.full(index.size, float(default_cap))
    for user_id, cap in TutorPolicy.objects.values_list("user_id", "max_sessions_per_day"):
        r = index.row_of.get(user_id)
        if r is not None:
            cap_per_day[r] = cap
    weeks = HORIZON_DAYS / 7
    total = np.minimum(weekly_hours * weeks / SESSION_HOURS, cap_per_day * days_with_hours * weeks)
    booked = np.zeros(index.size)
    for tutor_id, c in (
        Booking.objects.filter(
            status__in=Booking.ACTIVE_STATUSES,
            starts_at__gte=now,
            starts_at__lt=now + timedelta(days=HORIZON_DAYS),
        )
        .values("tutor_id")
        .annotate(c=Count("pk"))
        .values_list("tutor_id", "c")
    ):
        r = index.row_of.get(tutor_id)
        if r is not None:
            booked[r] = c
    return Capacity(np.maximum(total - booked, 0.0))


class Demand:
    """Learners shown each tutor in a top 3 over the last ``DEMAND_WINDOW``: read from the
    impression log every ``DEMAND_REFRESH`` and counted in-process in between (so one process
    serving many learners spreads them at once)."""

    def __init__(self, index: TutorIndex) -> None:
        self.index = index
        self.counts = np.zeros(index.size)
        self.read_at: datetime | None = None
        self.lock = threading.Lock()

    def current(self) -> np.ndarray:
        from .impressions import recent_exposure

        now = timezone.now()
        with self.lock:
            if self.read_at is None or now - self.read_at >= DEMAND_REFRESH:
                counts = np.zeros(self.index.size)
                for tutor_id, c in recent_exposure(since=now - DEMAND_WINDOW).items():
                    r = self.index.row_of.get(tutor_id)
                    if r is not None:
                        counts[r] = c
                self.counts, self.read_at = counts, now
            return self.counts

    def served(self, rows: np.ndarray) -> None:
        with self.lock:
            self.counts[rows] += 1


@dataclass
class ServingState:
    """What scoring needs beyond the index, built once per index."""

    quality: Quality
    capacity: Capacity
    demand: Demand
    built_at: datetime


_state_lock = threading.Lock()
_state: tuple[int, ServingState] | None = None


def serving_state(index: TutorIndex) -> ServingState:
    """The ``ServingState`` of this index (built on first use after the index changed)."""
    global _state
    with _state_lock:
        if _state is not None and _state[0] == id(index):
            return _state[1]
    state = ServingState(
        estimate(index, session_outcomes()), capacity(index), Demand(index), timezone.now()
    )
    with _state_lock:
        _state = (id(index), state)
    return state


def forget() -> None:
    global _state
    with _state_lock:
        _state = None
