"""Recommendations: score tutors for a learner over the ``TutorIndex`` arrays and explain why.

``top_tutors`` is the public entry point (help requests and partner matching call it).
Every feature is in [0, 1] (see docs/matching.md); the score is ``features @ weights`` with the
weights of ``ranker.current_model()`` (the newest promoted version, else the hand-set prior),
minus a penalty for tutors with no session left; forecast demand re-orders places 2–3
(``arrange``) and a bounded share of the lower places is explored (docs/matching.md).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from django.utils import timezone

from peerlearn.accounts.models import AvailabilityWindow, Level, User
from peerlearn.accounts.selectors import EARTH_KM, round_km
from peerlearn.reviews.models import Review
from peerlearn.scheduling.models import Booking, TimeClaim

from .index import FORMAT_BITS, LEVELS, STYLE_BITS, TutorIndex, get_index, week_bits
from .quality import Quality, ServingState, quality_feature

FEATURES = (
    "subject_match",
    "shared_time",
    "rating",
    "experience",
    "verified",
    "distance",
    "language",
    "style_fit",
    "response",
    "reliability",
    "past_outcomes",
    "quality",
)
#: The hand-set weights served until a trained version wins its evaluation (ranker.promote).
PRIOR_WEIGHTS = np.array([0.20, 0.02, 0.28, 0.01, 0.02, 0.005, 0.08, 0.03, 0.005, 0.06, 0.04, 0.25])
#: Per feature, the value that neither raises nor lowers a tutor against an unknown one: an
#: explanation lists a reason only when ``weight · (value − NEUTRAL) > 0``.
NEUTRAL = np.array([0.0, 0.0, 0.75, 0.0, 0.0, 0.3, 0.5, 0.5, 0.5, 0.9, 0.5, 0.5])
QUALITY = FEATURES.index("quality")
EXPLORE_SHARE = 0.2  # at most this share of a list is placed by exploration
EXPLORE_FIRST_POSITION = 6  # exploration never takes the first five places
CAPACITY_PLACES = 3  # places 2..this one are spread by forecast demand (``arrange``)
EXPLORE_POOL = 60  # explored tutors come from the best this many beyond the greedy list
EXPLORE_DRAWS = 32  # Monte Carlo draws for the explored places' propensities
CAPACITY_PENALTY = 0.08  # score lost per unit of expected bookings over capacity
SHARED_HOURS_FULL = 10.0  # shared free hours (next 14 days) that count as a perfect 1.0
DISTANCE_SCALE_KM = 25.0
EXPERIENCE_SCALE = 10.0


@dataclass
class Recommendation:
    tutor_id: int
    score: float
    parts: dict[str, float]
    explanation: str
    facts: dict[str, float] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    propensity: float = 1.0  # probability the policy served this tutor here (exploration)
    explored: bool = False
    version_id: int | None = None  # the RankerVersion that scored it (None: the prior)


@dataclass(frozen=True)
class Claim:
    """One reason in an explanation: ``kind`` names what it asserts, ``value`` the number it
    states (checked against the data by the tests)."""

    kind: str  # subject · shared_time · rating · experience · verified · response · language
    # · style_fit · went_well · distance · quality
    text: str
    value: float = 0.0


@dataclass
class LearnerContext:
    """What about the learner the features need; built once per request."""

    subjects: list[tuple[int, int]]  # (subject id, level rank)
    week: np.ndarray  # (3,) uint64 free hours in UTC
    lat: float  # radians or nan
    lon: float
    languages: list[str]
    styles: int
    formats: int
    past: dict[int, float]  # tutor id -> outcome score in [0, 1]
    went_well: frozenset[int] = frozenset()  # tutors whose every session the learner rated ≥ 4
    gave_availability: bool = True
    learner_id: int = 0


def learner_context(learner: User, subject_id: int | None) -> LearnerContext:
    from .index import _utc_windows

    level_rank = {lv: i for i, lv in enumerate(LEVELS)}
    own = {
        s: level_rank.get(Level(lv), 0)
        for s, lv in learner.learning_subjects.values_list("subject_id", "level")
    }
    if subject_id is not None:
        subjects = [(subject_id, own.get(subject_id, 0))]
    else:
        subjects = list(own.items())
    profile = getattr(learner, "profile", None)
    tz = profile.timezone if profile else "UTC"
    rows = list(
        AvailabilityWindow.objects.filter(user=learner).values_list(
            "weekday", "start_time", "end_time"
        )
    )
    if rows:
        week = week_bits(_utc_windows(tz, rows))
    else:  # no availability given: anyone's free time counts as shared
        week = np.full(3, np.iinfo(np.uint64).max, dtype=np.uint64)
    past, went_well = past_with(learner.pk)
    has_loc = profile is not None and profile.has_location
    return LearnerContext(
        subjects=subjects,
        week=week,
        lat=float(np.radians(profile.latitude)) if has_loc else float("nan"),  # type: ignore[union-attr]
        lon=float(np.radians(profile.longitude)) if has_loc else float("nan"),  # type: ignore[union-attr]
        languages=list(profile.languages) if profile else [],
        styles=sum(
            1 << STYLE_BITS[s]
            for s in (profile.learning_styles if profile else [])
            if s in STYLE_BITS
        ),
        formats=sum(
            1 << FORMAT_BITS[f]
            for f in (profile.session_formats if profile else [])
            if f in FORMAT_BITS
        ),
        past=past,
        went_well=went_well,
        gave_availability=bool(rows),
        learner_id=learner.pk,
    )


def past_with(
    learner_id: int, *, before: datetime | None = None
) -> tuple[dict[int, float], frozenset[int]]:
    """The learner's own history with each tutor (sessions starting before ``before``, when
    given): 0.5 moved +0.25 per session they rated ≥ 4, −0.25 per session rated below 3 or the
    tutor did not come to, +0.1 per completed session not rated, −0.1 per declined request,
    clipped to [0, 1]; and the tutors whose every rated session the learner rated ≥ 4 (at least
    one): the only ones an explanation may say "went well" with."""
    S = Booking.Status
    claims = TimeClaim.objects.filter(user_id=learner_id, role=TimeClaim.Role.LEARNER)
    if before is not None:
        claims = claims.filter(booking__starts_at__lt=before)
    sessions = list(
        claims.values_list(
            "booking_id", "booking__tutor_id", "booking__status", "booking__no_show_user_id"
        )
    )
    rated = dict(
        Review.objects.filter(
            author_id=learner_id,
            direction=Review.Direction.OF_TUTOR,
            booking_id__in=[b for b, *_ in sessions],
        ).values_list("booking_id", "overall")
    )
    past: dict[int, float] = {}
    scores: dict[int, list[float]] = {}
    for booking_id, tutor_id, status, absent in sessions:
        step = 0.0
        if status == S.COMPLETED:
            stars = rated.get(booking_id)
            if stars is None:
                step = 0.1
            else:
                scores.setdefault(tutor_id, []).append(float(stars))
                step = 0.25 if stars >= 4 else -0.25 if stars < 3 else 0.0
        elif status == S.NO_SHOW and absent == tutor_id:
            step = -0.25
        elif status == S.DECLINED:
            step = -0.1
        past[tutor_id] = float(np.clip(past.get(tutor_id, 0.5) + step, 0, 1))
    went_well = frozenset(t for t, stars in scores.items() if min(stars) >= 4)
    return past, went_well


@dataclass
class Matched:
    """Per index row (length ``index.size``): subject match in [0, 1], the subject id it came
    from, verified in it, and the quality feature for that subject (``Quality.posterior``
    gives the mean and variance behind it, for the few rows that need them)."""

    match: np.ndarray
    via: np.ndarray
    verified: np.ndarray
    quality: Quality | None = None
    subjects: list[int] = field(default_factory=list)  # the subject ids matching took

    _cached: tuple[np.ndarray, np.ndarray] | None = None

    def quality_column(self, rows: np.ndarray, *, presorted: bool = False) -> np.ndarray:
        """The quality feature of candidate ``rows`` (0.5 without estimates): computed for the
        first set asked (all candidates) and gathered from it for later subsets."""
        if self.quality is None:
            return np.full(rows.shape[0], 0.5)
        if self._cached is not None:
            known, values = self._cached
            pos = np.minimum(np.searchsorted(known, rows), max(known.size - 1, 0))
            if known.size and (known[pos] == rows).all():
                return values[pos]
        if presorted:
            values = self.quality.column(rows, self.via, self.subjects)
            if self._cached is None:
                self._cached = (rows, values)
            return values
        order = np.argsort(rows, kind="stable")
        values = np.empty(rows.shape[0])
        values[order] = self.quality.column(rows[order], self.via, self.subjects)
        if self._cached is None:
            self._cached = (rows[order], values[order])
        return values


def subject_match(
    index: TutorIndex, subjects: list[tuple[int, int]], quality: Quality | None = None
) -> Matched:
    """Hierarchy-aware: the exact subject 1.0, a subject under it 0.9, its parent 0.6, a
    sibling topic 0.35; times 0.75 when the tutor's proficiency is not above the learner's
    level. The quality estimate is the tutor's for the subject the match came from (topic
    level when they have outcomes there, else shrunk towards subject and tutor)."""
    n = index.size
    # float32 / int32: half the memory traffic of the scattered writes (values are a handful
    # of exact constants, ids fit)
    match = np.zeros(n, dtype=np.float32)
    via = np.full(n, -1, dtype=np.int32)
    verified = np.zeros(n, dtype=bool)
    taken: list[int] = []

    def take(sid: int, weight: float, learner_level: int, origin: int) -> None:
        entry = index.by_subject.get(sid)
        if entry is None:
            return
        rows, ranks, ver = entry
        value = np.where(ranks > learner_level, np.float32(weight), np.float32(0.75 * weight))
        better = value > match[rows]
        hit = rows[better]
        match[hit] = value[better]
        via[hit] = origin if weight < 1 else sid
        verified[hit] = ver[better]
        taken.append(sid)

    for sid, level in subjects:
        parent = index.parent_of.get(sid)
        if parent is not None:
            # the sibling topics (and the subject itself, overridden below) in one block
            block = index.children_block(parent)
            if block is not None:
                rows, ranks, ver, origin = block
                value = np.where(ranks > level, np.float32(0.35), np.float32(0.75 * 0.35))
                better = value > match[rows]
                hit = rows[better]
                match[hit] = value[better]
                via[hit] = origin[better]
                verified[hit] = ver[better]
                taken.extend(index.children_of.get(parent, []))
            take(parent, 0.6, level, parent)
        stack = list(index.children_of.get(sid, []))
        while stack:
            child = stack.pop()
            take(child, 0.9, level, child)
            stack.extend(index.children_of.get(child, []))
        take(sid, 1.0, level, sid)
    return Matched(match, via, verified, quality, taken)


def exact_match(value: float) -> bool:
    """The match value of the learner's own subject (1.0, or 0.75 at or below their level)."""
    return value in (1.0, 0.75)


def feature_matrix(
    index: TutorIndex, ctx: LearnerContext, rows: np.ndarray, m: Matched
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The (len(rows), len(FEATURES)) matrix and the raw facts behind it."""
    k = rows.shape[0]
    X = np.empty((k, len(FEATURES)), order="F")  # column writes stay contiguous
    X[:, 0] = m.match[rows]
    weekly_hours = np.bitwise_count(index.week[rows] & ctx.week).sum(axis=1)
    hours14 = 2.0 * weekly_hours
    X[:, 1] = np.minimum(hours14 / SHARED_HOURS_FULL, 1.0)
    X[:, 2] = index.rating_feature[rows]  # clip((rating − 1) / 4, 0, 1), precomputed
    X[:, 3] = index.experience_feature[rows]  # 1 − exp(−sessions / EXPERIENCE_SCALE)
    X[:, 4] = np.where(m.verified[rows], 1.0, np.where(index.verified_any[rows], 0.5, 0.0))
    if np.isnan(ctx.lat):
        km = np.full(k, np.nan)
    else:
        lat, lon = index.lat[rows], index.lon[rows]
        h = (
            np.sin((lat - ctx.lat) / 2) ** 2
            + np.cos(ctx.lat) * np.cos(lat) * np.sin((lon - ctx.lon) / 2) ** 2
        )
        km = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    X[:, 5] = np.where(np.isnan(km), 0.3, np.exp(-np.nan_to_num(km) / DISTANCE_SCALE_KM))
    mask = np.uint64(index.language_mask(ctx.languages))
    if mask:
        X[:, 6] = (index.languages[rows] & mask) != 0
    else:
        X[:, 6] = 0.5
    style_total = max(1, ctx.styles.bit_count()) + max(1, ctx.formats.bit_count())
    fit = np.bitwise_count(index.styles[rows] & np.uint8(ctx.styles)) + np.bitwise_count(
        index.formats[rows] & np.uint8(ctx.formats)
    )
    X[:, 7] = np.minimum(fit / style_total, 1.0) if (ctx.styles or ctx.formats) else 0.5
    X[:, 8] = index.response[rows]
    X[:, 9] = index.reliability[rows]
    past = np.full(k, 0.5)
    if ctx.past:
        for tutor_id, value in ctx.past.items():
            r = index.row_of.get(tutor_id)
            if r is not None:
                past[rows == r] = value
    X[:, 10] = past
    X[:, QUALITY] = m.quality_column(rows)
    facts = {
        "hours": hours14,
        "km": km,
        "rating": index.rating[rows],
        "rating_count": index.rating_count[rows],
        "sessions": index.sessions[rows],
        "response_minutes": index.response_minutes[rows],
    }
    return X, facts


def candidates(
    index: TutorIndex, ctx: LearnerContext, exclude_rows: np.ndarray, quality: Quality | None = None
) -> tuple[np.ndarray, Matched]:
    """Rows with any subject match (every tutor when the learner names no subject)."""
    if ctx.subjects:
        m = subject_match(index, ctx.subjects, quality)
        rows = np.flatnonzero(m.match > 0)
    else:
        n = index.size
        m = Matched(
            np.full(n, 0.5),
            np.full(n, -1, dtype=np.int64),
            index.verified_any.copy(),
            quality,
        )
        rows = np.arange(n)
    if exclude_rows.size:  # rows are sorted and unique; this keeps them so (no full sort)
        rows = rows[~np.isin(rows, exclude_rows)]
    return rows, m


PRUNE_K = 1000  # candidates fully scored first, to find the n-th best score


def cheap_score(
    index: TutorIndex,
    ctx: LearnerContext,
    rows: np.ndarray,
    m: Matched,
    weights: np.ndarray,
    penalty: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """``(c, slack)`` for sorted candidate ``rows``: ``c`` is the exact weighted sum of every
    feature except shared_time and distance (the two expensive ones), minus the capacity
    ``penalty``; ``slack`` the most those two can add (each feature is in [0, 1]), so
    ``c ≤ score ≤ c + slack`` up to rounding."""
    w = weights
    c = index.static_score(float(w[2]), float(w[3]), float(w[8]), float(w[9]))[rows]
    c += w[0] * m.match[rows]
    c += w[4] * np.where(m.verified[rows], 1.0, index.verified_half[rows])
    mask = np.uint64(index.language_mask(ctx.languages))
    if mask:
        c += w[6] * ((index.languages[rows] & mask) != 0)
    else:
        c += 0.5 * w[6]
    if ctx.styles or ctx.formats:
        style_total = max(1, ctx.styles.bit_count()) + max(1, ctx.formats.bit_count())
        wanted = np.uint16(ctx.styles | (ctx.formats << 8))
        fit = np.bitwise_count(index.style_format[rows] & wanted)
        c += w[7] * np.minimum(fit / style_total, 1.0)
    else:
        c += 0.5 * w[7]
    c += 0.5 * w[10]
    c += w[QUALITY] * m.quality_column(rows, presorted=True)
    if penalty is not None:
        c -= penalty[rows]
    for tutor_id, value in ctx.past.items():
        r = index.row_of.get(tutor_id)
        if r is not None:
            pos = int(np.searchsorted(rows, r))
            if pos < rows.size and rows[pos] == r:
                c[pos] += w[10] * (value - 0.5)
    slack = max(float(w[1]), 0.0)  # shared_time in [0, 1]
    if np.isnan(ctx.lat):
        c += 0.3 * w[5]  # distance is 0.3 for everyone
    else:
        slack += max(float(w[5]), 0.0)  # distance in [0, 1]
    return c, slack


def score_candidates(
    index: TutorIndex,
    ctx: LearnerContext,
    rows: np.ndarray,
    m: Matched,
    weights: np.ndarray,
    n: int,
    *,
    prune: bool = True,
    penalty: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """``(scored rows, X, facts, scores, best)``: the top ``n`` are ``scored_rows[best]``;
    ``scores`` include the capacity ``penalty`` (per index row), ``X`` does not.

    Exact pruning: every candidate gets the cheap bound ``c ≤ score ≤ c + slack``; the
    ``PRUNE_K`` best by ``c`` are scored fully and ``T`` is their n-th best score. A candidate
    with ``c + slack < T`` scores below ``T`` while n candidates reach ``T``, so it cannot be in
    the top n; only the rest (``c ≥ T − slack``) get the full feature matrix. Same top n as
    scoring everything (``prune=False``), up to the order of exactly tied scores."""
    k = rows.shape[0]
    kk = max(PRUNE_K, n)
    if prune and n > 0 and k > kk:
        c, slack = cheap_score(index, ctx, rows, m, weights, penalty)
        first = rows[np.argpartition(-c, kk)[:kk]]
        X0, _ = feature_matrix(index, ctx, first, m)
        s0 = X0 @ weights
        if penalty is not None:
            s0 -= penalty[first]
        threshold = np.partition(s0, kk - n)[kk - n]
        rows = rows[c >= threshold - slack - 1e-9]
    X, facts = feature_matrix(index, ctx, rows, m)
    scores = X @ weights
    if penalty is not None:
        scores -= penalty[rows]
    return rows, X, facts, scores, top_rows(scores, n)


def covers(index: TutorIndex, rows: np.ndarray, start: datetime, end: datetime) -> np.ndarray:
    """Per row: the tutor's weekly hours (UTC, whole hours) cover every hour of [start, end) —
    a cheap pre-filter (no false negatives) before the exact ``bookable_slots`` check."""
    utc = start.astimezone(UTC)
    first = utc.hour + utc.minute / 60
    need = week_bits([(utc.weekday(), first, first + (end - start).total_seconds() / 3600)])
    return np.all((index.week[rows] & need) == need, axis=1)


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    if scores.shape[0] <= n:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, n)[:n]
    return part[np.argsort(-scores[part], kind="stable")]


def no_room_penalty(state: ServingState) -> np.ndarray:
    """Per index row: ``CAPACITY_PENALTY`` for a tutor with no session left to give in the
    next ``HORIZON_DAYS`` (every free hour booked, or none given), else 0 — the part of
    ``capacity_penalty`` that is a fact, not a forecast."""
    return np.where(state.capacity.sessions > 0, 0.0, CAPACITY_PENALTY)


def capacity_penalty(state: ServingState) -> np.ndarray:
    """Per index row: ``CAPACITY_PENALTY`` per expected booking beyond what the tutor can still
    take (expected = ``UPTAKE`` × learners recently shown them in a top 3); a tutor with no
    capacity left gets the penalty of one booking over. Zero for most tutors."""
    from .quality import UPTAKE

    expected = state.demand.current() * UPTAKE
    cap = state.capacity.sessions
    over = np.where(cap > 0, np.maximum(expected + UPTAKE - cap, 0.0) / np.maximum(cap, 1.0), 1.0)
    return CAPACITY_PENALTY * np.minimum(over, 3.0)


@dataclass
class Slate:
    """The rows to show, in order, with how each was placed."""

    picks: np.ndarray  # positions into the scored arrays
    propensity: np.ndarray
    explored: np.ndarray  # bool


def arrange(scores: np.ndarray, demand: np.ndarray, n: int) -> np.ndarray:
    """The greedy order (positions into ``scores``, the best ``n + EXPLORE_POOL``): place 1 is
    the best score — the best match who can still take a session, never moved by forecast
    demand nor by exploration; places 2..``CAPACITY_PLACES`` are the best by ``scores −
    demand`` (the forecast over-demand penalty, ``capacity_penalty`` beyond ``no_room_penalty``)
    so learners who would all book the same few tutors see different alternatives next to the
    best one; the rest follow ``scores`` again. Demand only re-orders within the best
    ``n + EXPLORE_POOL``: it never brings in a weaker match from outside them."""
    order = top_rows(scores, min(scores.shape[0], n + EXPLORE_POOL))
    if order.size <= 2 or not demand[order].any():
        return order
    rest = order[1:]
    spread = rest[top_rows(scores[rest] - demand[rest], min(CAPACITY_PLACES - 1, rest.size))]
    others = rest[~np.isin(rest, spread)]
    return np.concatenate([order[:1], spread, others])


def explore(
    scores: np.ndarray,
    X: np.ndarray,
    q_mean: np.ndarray,
    q_var: np.ndarray,
    weights: np.ndarray,
    n: int,
    rng: np.random.Generator,
    order: np.ndarray | None = None,
) -> Slate:
    """Thompson sampling with a bounded share: the best ``n − k`` by score keep their places
    (``k = floor(EXPLORE_SHARE · n)``, none below five), and the ``k`` places from
    ``EXPLORE_FIRST_POSITION`` on, every few places, go to the tutors whose score — with their
    quality drawn from its posterior — is highest among the next ``EXPLORE_POOL``. A new tutor
    (wide posterior) gets drawn high now and then; a well-known weak one almost never. Each
    explored place's propensity is the share of ``EXPLORE_DRAWS`` draws that picked that tutor
    (the greedy places have propensity 1). ``order``: the greedy order (``arrange``; default
    the best by score)."""
    if order is None:
        order = top_rows(scores, min(scores.shape[0], n + EXPLORE_POOL))
    k = int(np.floor(EXPLORE_SHARE * n)) if n >= 5 else 0
    greedy = order[: n - k]
    pool = order[n - k :]
    if k == 0 or pool.size == 0:
        first = order[:n]
        return Slate(first, np.ones(first.size), np.zeros(first.size, dtype=bool))
    k = min(k, pool.size)
    w = float(weights[QUALITY])
    base = scores[pool] - w * X[pool, QUALITY]

    def draw(size: tuple[int, ...]) -> np.ndarray:
        sample = q_mean[pool] + np.sqrt(q_var[pool]) * rng.standard_normal(size)
        return base + w * quality_feature(sample)

    chosen = pool[top_rows(draw((pool.size,)), k)]
    sims = draw((EXPLORE_DRAWS, pool.size))
    top = np.argsort(-sims, axis=1)[:, :k]
    freq = np.bincount(top.ravel(), minlength=pool.size) / EXPLORE_DRAWS
    prop_of = dict(zip(pool.tolist(), np.maximum(freq, 1 / EXPLORE_DRAWS).tolist(), strict=True))
    picks: list[int] = [int(g) for g in greedy]
    propensity = [1.0] * len(picks)
    explored = [False] * len(picks)
    gap = max(1, (n - EXPLORE_FIRST_POSITION + 1) // k)
    for j, pick in enumerate(chosen):
        at = min(EXPLORE_FIRST_POSITION - 1 + j * gap, len(picks))
        picks.insert(at, int(pick))
        propensity.insert(at, float(prop_of[int(pick)]))
        explored.insert(at, True)
    return Slate(np.array(picks, dtype=np.int64), np.array(propensity), np.array(explored))


def explore_top(
    index: TutorIndex,
    quality: Quality,
    m: Matched,
    rows: np.ndarray,
    scores: np.ndarray,
    X: np.ndarray,
    weights: np.ndarray,
    n: int,
    rng: np.random.Generator,
    demand: np.ndarray | None = None,
) -> Slate:
    """``explore`` over the scored ``rows`` in ``arrange``'s order (``demand``: the forecast
    over-demand penalty per scored row, default none), with the quality posteriors of the best
    ``n + EXPLORE_POOL`` looked up (the others are never drawn)."""
    order = arrange(scores, np.zeros(scores.shape[0]) if demand is None else demand, n)
    q_mean, q_var = np.zeros(scores.shape[0]), np.zeros(scores.shape[0])
    q_mean[order], q_var[order] = quality.posterior(index, rows[order], m.via[rows[order]])
    return explore(scores, X, q_mean, q_var, weights, n, rng, order)


def top_tutors(
    *,
    learner: User,
    subject_id: int | None,
    n: int = 10,
    exclude_ids: Collection[int] = (),
    free_at: tuple[datetime, datetime] | None = None,
    rng: np.random.Generator | None = None,
    explore_share: bool = True,
) -> list[Recommendation]:
    """The ``n`` best tutors for ``learner`` (in ``subject_id``, or across everything they
    learn when None), best first, each with its feature parts and an explanation whose every
    claim is exactly true. Never includes the learner, inactive people or ``exclude_ids``;
    with ``free_at``, only tutors whose weekly hours cover that time. Scores are the served
    weights (``ranker.current_model``) over the features, minus ``no_room_penalty``; places
    are set by ``arrange`` (places 2..``CAPACITY_PLACES`` also minus the forecast demand
    penalty: ``score`` is what each place was chosen by) and up to ``EXPLORE_SHARE`` of the
    places from ``EXPLORE_FIRST_POSITION`` on are explored (``explore``; off with
    ``explore_share=False``). Reads, and counts the top 3 as shown (``quality.Demand``); the
    callers that show the list log it (``impressions.log_recommendations``)."""
    from .quality import serving_state
    from .ranker import current_model

    index = get_index()
    if index.size == 0:
        return []
    state = serving_state(index)
    ctx = learner_context(learner, subject_id)
    excluded = [index.row_of[i] for i in [*exclude_ids, learner.pk] if i in index.row_of]
    rows, m = candidates(index, ctx, np.array(excluded, dtype=np.int64), state.quality)
    if free_at is not None:
        rows = rows[covers(index, rows, *free_at)]
    if rows.size == 0:
        return []
    weights, version_id = current_model()
    full = no_room_penalty(state)
    demand = capacity_penalty(state) - full  # forecast over-demand, ≥ 0
    rows, X, facts, scores, _ = score_candidates(
        index, ctx, rows, m, weights, n + EXPLORE_POOL, penalty=full
    )
    if explore_share:
        slate = explore_top(
            index,
            state.quality,
            m,
            rows,
            scores,
            X,
            weights,
            n,
            rng or np.random.default_rng(),
            demand[rows],
        )
    else:
        picks = arrange(scores, demand[rows], n)[:n]
        slate = Slate(picks, np.ones(picks.size), np.zeros(picks.size, dtype=bool))
    placed_by = scores.copy()  # the score each place was chosen by
    spread = slate.picks[1:CAPACITY_PLACES]
    placed_by[spread] -= demand[rows[spread]]
    from .quality import UPTAKE

    room = state.capacity.sessions - UPTAKE * state.demand.current()
    state.demand.served(rows[slate.picks[:3]])
    tutor_ids = [int(index.ids[rows[j]]) for j in slate.picks]
    from .calendar import shared_minutes

    shared = shared_minutes(learner.pk, tutor_ids, start=timezone.now()) if tutor_ids else None
    out = []
    for place, j in enumerate(slate.picks):
        parts = {name: round(float(X[j, i]), 4) for i, name in enumerate(FEATURES)}
        fact = {key: float(value[j]) for key, value in facts.items()}
        fact["km"] = rounded_km(fact["km"])  # only a rounded distance ever leaves this module
        fact["room"] = round(float(room[rows[j]]), 2)  # sessions it could still take
        tutor_id = tutor_ids[place]
        if shared is not None:
            fact["shared_minutes"] = float(shared.get(tutor_id, 0))
        sid = int(m.via[rows[j]])
        seen = state.quality.seen.get(sid, {}).get(int(rows[j]))
        if seen is not None:
            fact["topic_sessions"], fact["topic_relative"] = float(seen[0]), seen[1]
        claims = explain(
            parts,
            fact,
            index.subject_names.get(sid, ""),
            weights,
            went_well=tutor_id in ctx.went_well,
        )
        out.append(
            Recommendation(
                tutor_id=tutor_id,
                score=round(float(placed_by[j]), 6),
                parts=parts,
                explanation=" · ".join(c.text for c in claims) or "a tutor on PeerLearn",
                facts=fact,
                claims=claims,
                propensity=float(slate.propensity[place]),
                explored=bool(slate.explored[place]),
                version_id=version_id,
            )
        )
    return out


def _level_word(match: float) -> str:
    return "above your level" if match in (1.0, 0.9, 0.6, 0.35) else "at your level"


def _hours(minutes: float) -> str:
    h, mins = divmod(int(minutes), 60)
    return f"{h} h {mins:02d} min" if mins else f"{h} h"


def explain(
    parts: dict[str, float],
    facts: dict[str, float],
    subject_name: str,
    weights: np.ndarray,
    *,
    went_well: bool = False,
) -> list[Claim]:
    """The reasons, each exactly true and each one that raised the score: the subject first,
    then up to five others whose contribution ``weight · (value − NEUTRAL)`` is positive,
    strongest first. Shared time is the exact overlap of both calendars (``calendar``), only
    when the learner gave availability; "verified" only in the learner's own subject; "went
    well" only when the learner rated every session with this tutor at least 4."""
    claims: list[Claim] = []
    m = parts["subject_match"]
    if subject_name and m > 0:
        relation = "teaches" if m >= 0.9 * 0.75 else "teaches the related"
        claims.append(Claim("subject", f"{relation} {subject_name} {_level_word(m)}", m))
    gain = {
        name: float(weights[i]) * (parts[name] - float(NEUTRAL[i]))
        for i, name in enumerate(FEATURES)
    }
    options: list[tuple[float, Claim]] = []
    minutes = facts.get("shared_minutes")
    if minutes is not None and minutes > 0:
        options.append(
            (
                gain["shared_time"],
                Claim(
                    "shared_time",
                    f"{_hours(minutes)} of shared free time in the next 2 weeks",
                    minutes,
                ),
            )
        )
    if facts["rating_count"] > 0:
        count = int(facts["rating_count"])
        options.append(
            (
                gain["rating"],
                Claim(
                    "rating",
                    f"{facts['rating']:.1f}★ from {count} review{'s' if count != 1 else ''}",
                    facts["rating"],
                ),
            )
        )
    if facts["sessions"] > 0:
        sessions = int(facts["sessions"])
        options.append(
            (
                gain["experience"],
                Claim(
                    "experience",
                    f"{sessions} session{'s' if sessions != 1 else ''} taught",
                    sessions,
                ),
            )
        )
    if parts["verified"] == 1.0 and exact_match(m):
        options.append((gain["verified"], Claim("verified", f"verified in {subject_name}", 1)))
    if not np.isnan(facts["response_minutes"]):
        options.append(
            (
                gain["response"],
                Claim(
                    "response",
                    f"answers requests in ~{_duration(facts['response_minutes'])}",
                    facts["response_minutes"],
                ),
            )
        )
    if parts["language"] == 1.0:
        options.append((gain["language"], Claim("language", "speaks your language", 1)))
    if parts["style_fit"] > 0.5:
        options.append((gain["style_fit"], Claim("style_fit", "suits how you like to learn", 1)))
    if went_well and parts["past_outcomes"] > 0.5:
        options.append(
            (gain["past_outcomes"], Claim("went_well", "your past sessions together went well", 1))
        )
    rated_sessions = int(facts.get("topic_sessions", 0))
    if rated_sessions >= 2 and facts.get("topic_relative", 0.0) > 0 and parts["quality"] > 0.5:
        options.append(
            (
                gain["quality"],
                Claim(
                    "quality",
                    f"learners rated their {rated_sessions} {subject_name} sessions with them "
                    "above their usual",
                    rated_sessions,
                ),
            )
        )
    if not np.isnan(facts["km"]):
        options.append(
            (gain["distance"], Claim("distance", f"{facts['km']:.0f} km away", facts["km"]))
        )
    options.sort(key=lambda p: -p[0])
    claims.extend(claim for g, claim in options[:5] if g > 0)
    return claims


def rounded_km(km: float) -> float:
    """``accounts.selectors.round_km`` applied to a computed distance; nan stays nan."""
    return km if np.isnan(km) else float(round_km(km))


def _duration(minutes: float) -> str:
    if minutes < 90:
        return f"{max(1, round(minutes))} min"
    if minutes < 48 * 60:
        return f"{round(minutes / 60)} h"
    return f"{round(minutes / 1440)} days"
