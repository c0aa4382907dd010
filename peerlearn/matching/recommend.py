"""Recommendations: score tutors for a learner over the ``TutorIndex`` arrays and explain why.

``top_tutors`` is the public entry point (help requests and partner matching call it).
Every feature is in [0, 1] (see docs/matching.md); the score is ``features @ weights`` with the
weights of ``ranker.current_weights()`` (the hand-set prior blended with the learned ranker).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from peerlearn.accounts.models import Level, User
from peerlearn.accounts.selectors import EARTH_KM, round_km

from .index import FORMAT_BITS, LEVELS, STYLE_BITS, TutorIndex, get_index, week_bits

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
)
PRIOR_WEIGHTS = np.array([0.30, 0.12, 0.12, 0.06, 0.06, 0.05, 0.08, 0.04, 0.06, 0.06, 0.05])
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
    propensity: float = 1.0  # probability the policy served this tutor here (exploration)
    explored: bool = False
    version_id: int | None = None  # the RankerVersion that scored it (None: the prior)


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


def learner_context(learner: User, subject_id: int | None) -> LearnerContext:
    from peerlearn.accounts.models import AvailabilityWindow
    from peerlearn.scheduling.models import Booking

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
    past: dict[int, float] = {}
    for tutor_id, status in Booking.objects.filter(claims__user=learner).values_list(
        "tutor_id", "status"
    ):
        good = status == Booking.Status.COMPLETED
        bad = status in (Booking.Status.NO_SHOW, Booking.Status.DECLINED)
        past[tutor_id] = float(
            np.clip(past.get(tutor_id, 0.5) + (0.25 if good else -0.25 if bad else 0), 0, 1)
        )
    has_loc = profile is not None and profile.has_location
    return LearnerContext(
        subjects=subjects,
        week=week,
        lat=float(np.radians(profile.latitude)) if has_loc else float("nan"),  # type: ignore[union-attr,arg-type]
        lon=float(np.radians(profile.longitude)) if has_loc else float("nan"),  # type: ignore[union-attr,arg-type]
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
    )


def subject_match(
    index: TutorIndex, subjects: list[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(match in [0, 1] per row, the subject id it came from, verified in it) — hierarchy-aware:
    the exact subject 1.0, a subject under it 0.9, its parent 0.6, a sibling topic 0.35; times
    0.75 when the tutor's proficiency is not above the learner's level."""
    n = index.size
    match = np.zeros(n)
    via = np.full(n, -1, dtype=np.int64)
    verified = np.zeros(n, dtype=bool)

    def take(sid: int, weight: float, learner_level: int, origin: int) -> None:
        entry = index.by_subject.get(sid)
        if entry is None:
            return
        rows, ranks, ver = entry
        value = np.where(ranks > learner_level, weight, 0.75 * weight)
        better = value > match[rows]
        hit = rows[better]
        match[hit] = value[better]
        via[hit] = origin if weight < 1 else sid
        verified[hit] = ver[better]

    for sid, level in subjects:
        parent = index.parent_of.get(sid)
        if parent is not None:
            for sibling in index.children_of.get(parent, []):
                if sibling != sid:
                    take(sibling, 0.35, level, sibling)
            take(parent, 0.6, level, parent)
        stack = list(index.children_of.get(sid, []))
        while stack:
            child = stack.pop()
            take(child, 0.9, level, child)
            stack.extend(index.children_of.get(child, []))
        take(sid, 1.0, level, sid)
    return match, via, verified


def feature_matrix(
    index: TutorIndex,
    ctx: LearnerContext,
    rows: np.ndarray,
    match: np.ndarray,
    verified: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The (len(rows), len(FEATURES)) matrix and the raw facts behind it."""
    k = rows.shape[0]
    X = np.empty((k, len(FEATURES)), order="F")  # column writes stay contiguous
    X[:, 0] = match[rows]
    weekly_hours = np.bitwise_count(index.week[rows] & ctx.week).sum(axis=1)
    hours14 = 2.0 * weekly_hours
    X[:, 1] = np.minimum(hours14 / SHARED_HOURS_FULL, 1.0)
    X[:, 2] = index.rating_feature[rows]  # clip((rating − 1) / 4, 0, 1), precomputed
    X[:, 3] = index.experience_feature[rows]  # 1 − exp(−sessions / EXPERIENCE_SCALE)
    X[:, 4] = np.where(verified[rows], 1.0, np.where(index.verified_any[rows], 0.5, 0.0))
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
    index: TutorIndex, ctx: LearnerContext, exclude_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows with any subject match (every tutor when the learner names no subject)."""
    if ctx.subjects:
        match, via, verified = subject_match(index, ctx.subjects)
        rows = np.flatnonzero(match > 0)
    else:
        match = np.full(index.size, 0.5)
        via = np.full(index.size, -1, dtype=np.int64)
        verified = index.verified_any.copy()
        rows = np.arange(index.size)
    if exclude_rows.size:  # rows are sorted and unique; this keeps them so (no full sort)
        rows = rows[~np.isin(rows, exclude_rows)]
    return rows, match, via, verified


PRUNE_K = 1000  # candidates fully scored first, to find the n-th best score


def cheap_score(
    index: TutorIndex,
    ctx: LearnerContext,
    rows: np.ndarray,
    match: np.ndarray,
    verified: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, float]:
    """``(c, slack)`` for sorted candidate ``rows``: ``c`` is the exact weighted sum of every
    feature except shared_time and distance (the two expensive ones), ``slack`` the most those
    two can add (each feature is in [0, 1]), so ``c ≤ score ≤ c + slack`` up to rounding."""
    w = weights
    c = index.static_score(float(w[2]), float(w[3]), float(w[8]), float(w[9]))[rows]
    c += w[0] * match[rows]
    c += w[4] * np.where(verified[rows], 1.0, index.verified_half[rows])
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
    match: np.ndarray,
    verified: np.ndarray,
    weights: np.ndarray,
    n: int,
    *,
    prune: bool = True,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """``(scored rows, X, facts, scores, best)``: the top ``n`` are ``scored_rows[best]``.

    Exact pruning: every candidate gets the cheap bound ``c ≤ score ≤ c + slack``; the
    ``PRUNE_K`` best by ``c`` are scored fully and ``T`` is their n-th best score. A candidate
    with ``c + slack < T`` scores below ``T`` while n candidates reach ``T``, so it cannot be in
    the top n; only the rest (``c ≥ T − slack``) get the full feature matrix. Same top n as
    scoring everything (``prune=False``), up to the order of exactly tied scores."""
    k = rows.shape[0]
    kk = max(PRUNE_K, n)
    if prune and n > 0 and k > kk:
        c, slack = cheap_score(index, ctx, rows, match, verified, weights)
        first = rows[np.argpartition(-c, kk)[:kk]]
        X0, _ = feature_matrix(index, ctx, first, match, verified)
        threshold = np.partition(X0 @ weights, kk - n)[kk - n]
        rows = rows[c >= threshold - slack - 1e-9]
    X, facts = feature_matrix(index, ctx, rows, match, verified)
    scores = X @ weights
    return rows, X, facts, scores, top_rows(scores, n)


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    if scores.shape[0] <= n:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, n)[:n]
    return part[np.argsort(-scores[part], kind="stable")]


def top_tutors(
    *,
    learner: User,
    subject_id: int | None,
    n: int = 10,
    exclude_ids: Collection[int] = (),
) -> list[Recommendation]:
    """The ``n`` best tutors for ``learner`` (in ``subject_id``, or across everything they
    learn when None), best first, each with its feature parts and a plain-language explanation.
    Never includes the learner, inactive people or ``exclude_ids``. Reads only."""
    from .ranker import current_weights

    index = get_index()
    if index.size == 0:
        return []
    ctx = learner_context(learner, subject_id)
    excluded = [index.row_of[i] for i in [*exclude_ids, learner.pk] if i in index.row_of]
    rows, match, via, verified = candidates(index, ctx, np.array(excluded, dtype=np.int64))
    if rows.size == 0:
        return []
    weights = np.asarray(current_weights(), dtype=np.float64)
    rows, X, facts, scores, best = score_candidates(index, ctx, rows, match, verified, weights, n)
    out = []
    for j in best:
        parts = {name: round(float(X[j, i]), 4) for i, name in enumerate(FEATURES)}
        fact = {key: float(value[j]) for key, value in facts.items()}
        fact["km"] = rounded_km(fact["km"])  # only a rounded distance ever leaves this module
        sid = int(via[rows[j]])
        out.append(
            Recommendation(
                tutor_id=int(index.ids[rows[j]]),
                score=round(float(scores[j]), 6),
                parts=parts,
                explanation=explain(parts, fact, index.subject_names.get(sid, ""), weights),
                facts=fact,
            )
        )
    return out


def _level_word(match: float) -> str:
    return "above your level" if match in (1.0, 0.9, 0.6, 0.35) else "at your level"


def explain(
    parts: dict[str, float], facts: dict[str, float], subject_name: str, weights: np.ndarray
) -> str:
    """Plain language from the same parts that made the score: the subject first, then each
    other part that pulled the score up, strongest contribution first."""
    bits: list[str] = []
    m = parts["subject_match"]
    if subject_name and m > 0:
        relation = "teaches" if m >= 0.9 * 0.75 else "teaches the related"
        bits.append(f"{relation} {subject_name} {_level_word(m)}")
    contrib = {name: parts[name] * float(weights[i]) for i, name in enumerate(FEATURES)}
    phrases: list[tuple[float, str]] = []
    if facts["hours"] > 0:
        phrases.append(
            (
                contrib["shared_time"],
                f"{facts['hours']:.0f} h of shared free time in the next 2 weeks",
            )
        )
    if facts["rating_count"] > 0:
        phrases.append(
            (
                contrib["rating"],
                f"{facts['rating']:.1f}★ from {facts['rating_count']:.0f} "
                + ("review" if facts["rating_count"] == 1 else "reviews"),
            )
        )
    if facts["sessions"] > 0:
        phrases.append(
            (
                contrib["experience"],
                f"{facts['sessions']:.0f} session{'s' if facts['sessions'] != 1 else ''} taught",
            )
        )
    if parts["verified"] == 1.0:
        phrases.append((contrib["verified"], "verified in this subject"))
    if not np.isnan(facts["response_minutes"]):
        phrases.append(
            (contrib["response"], f"answers requests in ~{_duration(facts['response_minutes'])}")
        )
    if parts["language"] == 1.0:
        phrases.append((contrib["language"], "speaks your language"))
    if parts["style_fit"] >= 0.5 and parts["style_fit"] != 0.5:
        phrases.append((contrib["style_fit"], "suits how you like to learn"))
    if parts["past_outcomes"] > 0.5:
        phrases.append((contrib["past_outcomes"], "your past sessions together went well"))
    if not np.isnan(facts["km"]):
        phrases.append((contrib["distance"], f"{facts['km']:.0f} km away"))
    phrases.sort(key=lambda p: -p[0])
    bits.extend(text for _, text in phrases[:5])
    return " · ".join(bits) if bits else "a tutor on PeerLearn"


def rounded_km(km: float) -> float:
    """``accounts.selectors.round_km`` applied to a computed distance; nan stays nan."""
    return km if np.isnan(km) else float(round_km(km))


def _duration(minutes: float) -> str:
    if minutes < 90:
        return f"{max(1, round(minutes))} min"
    if minutes < 48 * 60:
        return f"{round(minutes / 60)} h"
    return f"{round(minutes / 1440)} days"
