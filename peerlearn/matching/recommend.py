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
    gives the mean and variance behind it, for the few rows that need them).

    ``candidates`` returns it *lazy* (``match is None``): it keeps the learner's subjects and
    the entry groups they reach (``groups``: slices of ``index.entries()`` with their weight
    and the learner's level) and computes the per-row values only for the rows asked
    (``at``: the same writes as ``subject_match``, replayed over those rows' entries);
    ``materialize`` fills the full arrays with ``subject_match`` itself."""

    match: np.ndarray | None
    via: np.ndarray | None
    verified: np.ndarray | None
    quality: Quality | None = None
    subjects: list[int] = field(default_factory=list)  # the subject ids matching took
    index: TutorIndex | None = None
    learner: list[tuple[int, int]] = field(default_factory=list)  # (subject id, level rank)
    groups: list[tuple[int, int, float, int]] = field(default_factory=list)

    _cached: tuple[np.ndarray, np.ndarray] | None = None
    _known: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # rows, match, winner entry

    def materialize(self) -> None:
        """Fill the full per-row arrays (``subject_match``) of a lazy match."""
        if self.match is None:
            assert self.index is not None
            full = subject_match(self.index, self.learner, self.quality)
            self.match, self.via, self.verified = full.match, full.via, full.verified
            self.subjects = full.subjects

    def _lookup(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(match, winning entry) of index ``rows`` (lazy only), from the last replay when it
        covered them."""
        assert self.index is not None
        known = self._known
        if known is not None and known[0].size:
            pos = np.minimum(np.searchsorted(known[0], rows), known[0].size - 1)
            if (known[0][pos] == rows).all():
                return known[1][pos], known[2][pos]
        if rows.size < 2 or bool((rows[1:] > rows[:-1]).all()):  # sorted, unique: as is
            match, win = replay_match(self.index, self.learner, rows)
            self._known = (rows, match, win)
            return match, win
        uniq, inverse = np.unique(rows, return_inverse=True)
        match, win = replay_match(self.index, self.learner, uniq)
        self._known = (uniq, match, win)
        return match[inverse], win[inverse]

    def at(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(match, via, verified) of index ``rows``: what ``subject_match`` gives there."""
        if self.match is not None:
            assert self.via is not None and self.verified is not None
            return self.match[rows], self.via[rows], self.verified[rows]
        assert self.index is not None
        entries = self.index.entries()
        match, win = self._lookup(rows)
        ok = win >= 0
        at = np.maximum(win, 0)
        via = np.where(ok, entries.subject(at), -1).astype(np.int32)
        return match, via, ok & entries.verified[at]

    def via_of(self, rows: np.ndarray) -> np.ndarray:
        return self.at(rows)[1]

    def quality_column(self, rows: np.ndarray, *, presorted: bool = False) -> np.ndarray:
        """The quality feature of candidate ``rows`` (0.5 without estimates): computed for the
        first set asked (all candidates) and gathered from it for later subsets."""
        if self.quality is None:
            return np.full(rows.shape[0], 0.5)
        if self.match is None:  # lazy: the feature of each row's winning entry
            assert self.index is not None
            _, win = self._lookup(rows)
            per_entry = entry_quality(self.index, self.quality)
            return np.where(
                win >= 0, per_entry[np.maximum(win, 0)], self.quality.tutor_feature[rows]
            )
        assert self.via is not None
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


def entry_groups(
    index: TutorIndex, subjects: list[tuple[int, int]]
) -> list[tuple[int, int, float, int]]:
    """The slices of ``index.entries()`` that ``subject_match`` writes from, in its order, as
    (start, stop, weight, learner level): per subject the sibling block (0.35), the parent
    (0.6), the subtree (0.9) and the subject itself (1.0)."""
    entries = index.entries()
    groups: list[tuple[int, int, float, int]] = []
    for sid, level in subjects:
        parent = index.parent_of.get(sid)
        if parent is not None:
            if parent in entries.block:
                groups.append((*entries.block[parent], 0.35, level))
            if parent in entries.span:
                groups.append((*entries.span[parent], 0.6, level))
        stack = list(index.children_of.get(sid, []))
        while stack:
            child = stack.pop()
            if child in entries.span:
                groups.append((*entries.span[child], 0.9, level))
            stack.extend(index.children_of.get(child, []))
        if sid in entries.span:
            groups.append((*entries.span[sid], 1.0, level))
    return groups


def replay_match(
    index: TutorIndex, subjects: list[tuple[int, int]], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``subject_match`` restricted to the sorted unique index ``rows``: per row the match
    (float32, as there) and the entry (into ``index.entries()``) whose write it kept, -1 for
    none; via and verified are that entry's subject and flag. The same writes in the same
    order over the rows' own entries only: a step writes where its value beats the match so
    far, and when a row has several entries in one step the last write in that step's order
    stays (a sibling block's order is by rank, then sibling, then position)."""
    entries = index.entries()
    start = entries.row_start[rows]
    counts = entries.row_start[rows + 1] - start
    total = int(counts.sum())
    local = np.repeat(np.arange(rows.size), counts)
    idx = entries.by_row[np.repeat(start - (np.cumsum(counts) - counts), counts) + np.arange(total)]
    slot, rank = entries.slot[idx], entries.rank[idx]
    subject, block_of = entries.slot_subject[slot], entries.slot_parent[slot]
    match = np.zeros(rows.size, dtype=np.float32)
    win = np.full(rows.size, -1, dtype=np.int64)

    def write(selected: np.ndarray, weight: float, level: int, block: bool = False) -> None:
        e = np.flatnonzero(selected)
        if e.size == 0:
            return
        value = np.where(rank[e] > level, np.float32(weight), np.float32(0.75 * weight))
        better = value > match[local[e]]
        e, value = e[better], value[better]
        if block and e.size > 1:
            in_subject = idx[e] - entries.slot_start[slot[e]]
            order = np.lexsort((in_subject, entries.slot_child_pos[slot[e]], rank[e]))
            e, value = e[order], value[order]
        match[local[e]] = value
        win[local[e]] = idx[e]

    span = entries.span  # a subject without entries writes nothing: its step is skipped
    for sid, level in subjects:
        parent = index.parent_of.get(sid)
        if parent is not None:
            if parent in entries.block:
                write(block_of == parent, 0.35, level, block=True)
            if parent in span:
                write(subject == parent, 0.6, level)
        stack = list(index.children_of.get(sid, []))
        while stack:
            child = stack.pop()
            if child in span:
                write(subject == child, 0.9, level)
            stack.extend(index.children_of.get(child, []))
        if sid in span:
            write(subject == sid, 1.0, level)
    return match, win


def entry_quality(index: TutorIndex, quality: Quality) -> np.ndarray:
    """Per entry of ``index.entries()``: the quality feature of its row in its subject (the
    subject's override when the row has one, else the tutor's) — what ``Quality.column`` gives
    a row matched through that subject. Cached per quality (the last one asked)."""
    entries = index.entries()
    cached = entries.quality_cache
    if cached is not None and cached[0] is quality:
        return cached[1]
    q = quality.tutor_feature[entries.rows]
    for sid, (over, _, _) in quality.by_subject.items():
        where = entries.span.get(sid)
        if where is None or over.size == 0:
            continue
        a, b = where
        mine = entries.rows[a:b]
        pos = np.searchsorted(over, mine, side="right") - 1  # the last write wins there too
        ok = pos >= 0
        ok &= over[np.maximum(pos, 0)] == mine
        feature = quality.subject_feature(sid)
        assert feature is not None
        q[a:b][ok] = feature[pos[ok]]
    entries.quality_cache = (quality, q)
    return q


def entry_base(index: TutorIndex, weights: np.ndarray, quality: Quality | None) -> np.ndarray:
    """Per entry (float32): the weighted rating, experience, response, reliability, verified
    (1 in the entry's subject, else 0.5 when verified elsewhere) and quality in the entry's
    subject — the learner-independent part of the bound. Cached per (weights, quality)."""
    entries = index.entries()
    key = np.asarray(weights, dtype=np.float64).tobytes()
    cached = entries.base_cache
    if cached is not None and cached[0] == key and cached[1] is quality:
        return cached[2]
    w = weights
    rows = entries.rows
    base = index.static_score(float(w[2]), float(w[3]), float(w[8]), float(w[9]))[rows]
    base += w[4] * np.where(entries.verified, 1.0, index.verified_half[rows])
    if quality is None:
        base += 0.5 * w[QUALITY]
    else:
        base += w[QUALITY] * entry_quality(index, quality)
    out = base.astype(np.float32)
    entries.base_cache = (key, quality, out)
    return out


def exact_match(value: float) -> bool:
    """The match value of the learner's own subject (1.0, or 0.75 at or below their level)."""
    return value in (1.0, 0.75)


def feature_matrix(
    index: TutorIndex, ctx: LearnerContext, rows: np.ndarray, m: Matched
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The (len(rows), len(FEATURES)) matrix and the raw facts behind it."""
    k = rows.shape[0]
    X = np.empty((k, len(FEATURES)), order="F")  # column writes stay contiguous
    match, _, verified = m.at(rows)
    X[:, 0] = match
    weekly_hours = np.bitwise_count(index.week[rows] & ctx.week).sum(axis=1)
    hours14 = 2.0 * weekly_hours
    X[:, 1] = np.minimum(hours14 / SHARED_HOURS_FULL, 1.0)
    X[:, 2] = index.rating_feature[rows]  # clip((rating − 1) / 4, 0, 1), precomputed
    X[:, 3] = index.experience_feature[rows]  # 1 − exp(−sessions / EXPERIENCE_SCALE)
    X[:, 4] = np.where(verified, 1.0, np.where(index.verified_any[rows], 0.5, 0.0))
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
        # the rows any of the learner's entry groups reach (where ``subject_match`` writes
        # a match > 0); the per-row values stay lazy (``Matched``)
        groups = entry_groups(index, ctx.subjects)
        entries = index.entries()
        reached = np.zeros(index.size, dtype=bool)
        for a, b, _, _ in groups:
            reached[entries.rows[a:b]] = True
        if exclude_rows.size:
            reached[exclude_rows] = False
        m = Matched(
            None, None, None, quality, index=index, learner=list(ctx.subjects), groups=groups
        )
        return np.flatnonzero(reached), m
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
ENTRY_PRUNE_K = 150  # the same for the bound per entry (``entry_pruned``), a sharper bound


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
    match, _, verified = m.at(rows)
    c += w[0] * match
    c += w[4] * np.where(verified, 1.0, index.verified_half[rows])
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
    ``scores`` include the capacity ``penalty`` (per index row), ``X`` does not. ``rows``:
    ``candidates``' rows for ``m``, or a subset of them.

    Exact pruning: every candidate gets the cheap bound ``c ≤ score ≤ c + slack``; the
    ``PRUNE_K`` best by ``c`` are scored fully and ``T`` is their n-th best score. A candidate
    with ``c + slack < T`` scores below ``T`` while n candidates reach ``T``, so it cannot be in
    the top n; only the rest (``c ≥ T − slack``) get the full feature matrix. Same top n as
    scoring everything (``prune=False``), up to the order of exactly tied scores. With a lazy
    ``m`` (learner subjects) the bound is taken per teaching entry (``entry_pruned``);
    ``prune=False`` then fills ``m`` with ``subject_match`` and scores every row."""
    k = rows.shape[0]
    kk = max(PRUNE_K, n)
    if m.match is not None or not prune:
        m.materialize()
        if prune and n > 0 and k > kk:
            c, slack = cheap_score(index, ctx, rows, m, weights, penalty)
            first = rows[np.argpartition(-c, kk)[:kk]]
            X0, _ = feature_matrix(index, ctx, first, m)
            s0 = X0 @ weights
            if penalty is not None:
                s0 -= penalty[first]
            threshold = np.partition(s0, kk - n)[kk - n]
            rows = rows[c >= threshold - slack - 1e-9]
    elif n > 0 and k > kk:
        rows, done = entry_pruned(index, ctx, rows, m, weights, n, penalty)
        if done is not None:
            X, facts = done
            scores = X @ weights
            if penalty is not None:
                scores -= penalty[rows]
            return rows, X, facts, scores, top_rows(scores, n)
    X, facts = feature_matrix(index, ctx, rows, m)
    scores = X @ weights
    if penalty is not None:
        scores -= penalty[rows]
    return rows, X, facts, scores, top_rows(scores, n)


def entry_pruned(
    index: TutorIndex,
    ctx: LearnerContext,
    rows: np.ndarray,
    m: Matched,
    weights: np.ndarray,
    n: int,
    penalty: np.ndarray | None,
) -> tuple[np.ndarray, tuple[np.ndarray, dict[str, np.ndarray]] | None]:
    """The sorted ``rows`` that may be in the top ``n`` (a lazy ``m``), with their
    ``feature_matrix`` when it was already computed (they are nearly always among the rows
    scored to find ``T``): the bound of
    ``score_candidates`` taken per teaching entry of the learner's groups instead of per row.
    An entry's ``c`` is the exact (up to float32 rounding, covered by ``eps``) weighted sum of
    the features it would give its row if its write is the one kept (match at the group's
    weight, verified in its subject, quality in its subject; the rest are per row), with past
    outcomes at 0.5 and no capacity penalty; a row's score is its kept entry's ``c`` plus
    shared time and distance, past outcomes above 0.5 (those few rows are always scored) and
    minus the penalty (at least ``min(penalty, 0)``), so a row whose every entry has
    ``c < T − slack − eps + min(penalty, 0)`` cannot reach ``T``. The entry arrays are
    contiguous slices (``Entries``) and the learner-independent part is precomputed
    (``entry_base``): no per-call pass over all index rows but the candidate mask."""
    entries = index.entries()
    w = weights
    base = entry_base(index, w, m.quality)
    const = 0.5 * float(w[10])
    slack = max(float(w[1]), 0.0)  # shared_time in [0, 1]
    if np.isnan(ctx.lat):
        const += 0.3 * float(w[5])  # distance is 0.3 for everyone
    else:
        slack += max(float(w[5]), 0.0)  # distance in [0, 1]
    # everything per entry but the base as one lookup: ``table[code]`` (rank, styles, formats
    # and, when they fit, languages are the bits of ``code``)
    r, s, f, lb = entries.code_bits
    other = np.arange(1 << (s + f + lb))
    rest = np.full(other.size, const)
    if ctx.styles or ctx.formats:
        style_total = max(1, ctx.styles.bit_count()) + max(1, ctx.formats.bit_count())
        fit = np.bitwise_count(other & ((1 << s) - 1) & ctx.styles) + np.bitwise_count(
            (other >> s) & ((1 << f) - 1) & ctx.formats
        )
        rest += float(w[7]) * np.minimum(fit / style_total, 1.0)
    else:
        rest += 0.5 * float(w[7])
    mask = index.language_mask(ctx.languages)
    lang_mask = None
    if not mask:
        rest += 0.5 * float(w[6])
    elif lb:
        rest += float(w[6]) * (((other >> (s + f)) & mask) != 0)
    else:
        dtype = entries.languages.dtype
        lang_mask = dtype.type(mask & int(np.iinfo(dtype).max))  # tutors have no higher bits
        w_lang = np.float32(w[6])
    ranks = np.arange(1 << r)
    rest32 = rest.astype(np.float32)
    tables: dict[tuple[float, int], np.ndarray] = {}
    starts = np.array([a for a, _, _, _ in m.groups], dtype=np.int64)
    sizes = np.array([b - a for a, b, _, _ in m.groups], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    c = np.empty(int(offsets[-1]), dtype=np.float32)
    for (a, b, weight, level), o in zip(m.groups, offsets.tolist(), strict=False):
        table = tables.get((weight, level))
        if table is None:
            by_rank = float(w[0]) * np.where(ranks > level, weight, 0.75 * weight)
            table = tables[weight, level] = (rest32[:, None] + by_rank.astype(np.float32)).ravel()
        seg = c[o : o + b - a]
        np.take(table, entries.code[a:b], out=seg)
        seg += base[a:b]
        if lang_mask is not None:
            seg += np.where((entries.languages[a:b] & lang_mask) != 0, w_lang, np.float32(0))

    def rows_of(positions: np.ndarray) -> np.ndarray:
        """The candidate rows (sorted, unique, within ``rows``) of entry positions in ``c``."""
        g = np.searchsorted(offsets, positions, side="right") - 1
        found = np.unique(entries.rows[starts[g] + positions - offsets[g]])
        at = np.minimum(np.searchsorted(rows, found), rows.size - 1)
        return found[rows[at] == found]

    # the first set: about the ``ENTRY_PRUNE_K`` best entries by ``c`` (any set gives a valid
    # ``T``; the best ones the highest), found from every 8th entry's best
    kk = max(ENTRY_PRUNE_K, 2 * n)
    if c.size <= kk:
        return rows, None
    step = 8 if c.size >= 64 * kk else 1
    sample = c[::step]
    top = kk // step
    at_least = sample.dtype.type(np.partition(sample, sample.size - top)[-top])
    best = np.flatnonzero(c >= at_least)
    first = rows_of(best)
    while first.size < n:  # too few distinct candidate rows among them: 4× more entries
        kk *= 4
        if kk >= c.size:
            return rows, None
        at_least = c.dtype.type(np.partition(c, c.size - kk)[c.size - kk])
        best = np.flatnonzero(c >= at_least)
        first = rows_of(best)
    X0, facts0 = feature_matrix(index, ctx, first, m)
    s0 = X0 @ w
    if penalty is not None:
        s0 -= penalty[first]
    threshold = float(np.partition(s0, first.size - n)[first.size - n])
    lowest_penalty = min(float(penalty.min()), 0.0) if penalty is not None else 0.0
    eps = 1e-5 * (1.0 + float(np.abs(w).sum()))  # float32 rounding of c, with room
    cut = threshold - slack - eps + lowest_penalty
    # the survivors are nearly always among the first set's entries: no second pass over ``c``
    keep = rows_of(best[c[best] >= cut] if cut >= at_least else np.flatnonzero(c >= cut))
    if float(w[10]) != 0.0:  # a past outcome that raises the score: always scored
        raised = [
            row
            for tutor_id, value in ctx.past.items()
            if (row := index.row_of.get(tutor_id)) is not None and w[10] * (value - 0.5) > 0
        ]
        if raised:
            extra = np.array(raised, dtype=np.int64)
            at = np.minimum(np.searchsorted(rows, extra), rows.size - 1)
            keep = np.union1d(keep, extra[rows[at] == extra])
    pos = np.minimum(np.searchsorted(first, keep), first.size - 1)
    if (first[pos] == keep).all():  # features are per row: the same as scoring ``keep``
        return keep, (X0[pos], {key: value[pos] for key, value in facts0.items()})
    return keep, None


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
    q_mean[order], q_var[order] = quality.posterior(index, rows[order], m.via_of(rows[order]))
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
    via = m.via_of(rows[slate.picks])
    out = []
    for place, j in enumerate(slate.picks):
        parts = {name: round(float(X[j, i]), 4) for i, name in enumerate(FEATURES)}
        fact = {key: float(value[j]) for key, value in facts.items()}
        fact["km"] = rounded_km(fact["km"])  # only a rounded distance ever leaves this module
        fact["room"] = round(float(room[rows[j]]), 2)  # sessions it could still take
        tutor_id = tutor_ids[place]
        if shared is not None:
            fact["shared_minutes"] = float(shared.get(tutor_id, 0))
        sid = int(via[place])
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
