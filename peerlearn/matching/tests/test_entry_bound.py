"""The per-entry path of ``recommend.score_candidates``: ``candidates`` keeps the subject match
lazy (``Matched.at`` replays ``subject_match`` over the rows asked) and the bound is taken per
teaching entry (``entry_pruned``). The replay must give exactly ``subject_match``'s values and
the pruned top n must be the full scoring's, on a hierarchy with taught parents, grandchildren,
top-level subjects and a tutor listed twice in one subject."""

from __future__ import annotations

import numpy as np
import pytest

from peerlearn.matching.index import TutorIndex
from peerlearn.matching.quality import Quality
from peerlearn.matching.recommend import (
    PRIOR_WEIGHTS,
    LearnerContext,
    candidates,
    replay_match,
    score_candidates,
    subject_match,
)

N = 6_000


def hierarchy() -> tuple[dict[int, int | None], dict[int, list[int]]]:
    """Areas 1–3 (taught themselves too), topics 100–129 under them, subtopics 200–219 under
    the first topics, and two top-level subjects (50, 51) without children."""
    parent_of: dict[int, int | None] = {1: None, 2: None, 3: None, 50: None, 51: None}
    for t in range(30):
        parent_of[100 + t] = 1 + t // 10
    for s in range(20):
        parent_of[200 + s] = 100 + s // 4
    children_of: dict[int, list[int]] = {}
    for sid, parent in parent_of.items():
        if parent is not None:
            children_of.setdefault(parent, []).append(sid)
    return parent_of, children_of


def index_with_hierarchy(rng: np.random.Generator) -> TutorIndex:
    parent_of, children_of = hierarchy()
    by_subject = {}
    for sid in parent_of:
        rows = np.sort(rng.choice(N, size=int(rng.integers(50, 600)), replace=True))
        by_subject[sid] = (
            rows,  # with replacement: some tutors are listed twice in a subject
            rng.integers(0, 4, rows.size).astype(np.int8),
            rng.random(rows.size) < 0.3,
        )
    ids = np.arange(1, N + 1, dtype=np.int64)
    lat = np.radians(40 + 15 * rng.random(N))
    lat[rng.random(N) < 0.2] = np.nan
    return TutorIndex(
        ids=ids,
        rating=1 + 4 * rng.random(N),
        rating_count=rng.integers(0, 50, N).astype(float),
        sessions=rng.integers(0, 80, N).astype(float),
        reliability=rng.random(N),
        response=rng.random(N),
        response_minutes=rng.random(N) * 600,
        verified_any=rng.random(N) < 0.25,
        lat=lat,
        lon=np.radians(-5 + 25 * rng.random(N)),
        languages=rng.integers(0, 1 << 20, N).astype(np.uint64),  # too many for the code
        styles=rng.integers(0, 16, N).astype(np.uint8),
        formats=rng.integers(0, 8, N).astype(np.uint8),
        week=rng.integers(0, 2**40, size=(N, 3), dtype=np.uint64),
        language_bits={f"l{i}": i for i in range(20)},
        by_subject=by_subject,
        parent_of=parent_of,
        children_of=children_of,
        subject_names={s: f"S{s}" for s in parent_of},
        row_of={int(i): r for r, i in enumerate(ids)},
    )


def quality_for(index: TutorIndex, rng: np.random.Generator) -> Quality:
    q = Quality(rng.normal(0, 0.5, index.size), rng.uniform(0.05, 0.3, index.size))
    q.by_subject = {}
    for sid, (rows, _, _) in index.by_subject.items():
        over = np.sort(rows[rng.random(rows.size) < 0.2])
        q.by_subject[sid] = (over, rng.normal(0, 0.7, over.size), rng.uniform(0.05, 0.5, over.size))
    return q


def subjects_for(rng: np.random.Generator) -> list[tuple[int, int]]:
    pool = [1, 2, 50, 51, *range(100, 130), *range(200, 220)]
    picks = rng.choice(pool, size=int(rng.integers(1, 4)), replace=False)
    if rng.random() < 0.3:  # two siblings
        picks = np.array([104, 105])
    return [(int(s), int(rng.integers(0, 4))) for s in picks]


def test_replay_gives_subject_match_values() -> None:
    rng = np.random.default_rng(7)
    index = index_with_hierarchy(rng)
    quality = quality_for(index, rng)
    for _ in range(40):
        subjects = subjects_for(rng)
        full = subject_match(index, subjects, quality)
        assert full.match is not None and full.via is not None and full.verified is not None
        reached = np.flatnonzero(full.match > 0)
        rows = np.unique(np.concatenate([reached, rng.choice(N, 50)]))
        match, win = replay_match(index, subjects, rows)
        np.testing.assert_array_equal(match, full.match[rows])
        entries = index.entries()
        ok = win >= 0
        assert (ok == (full.match[rows] > 0)).all()
        np.testing.assert_array_equal(entries.subject(win[ok]), full.via[rows[ok]])
        np.testing.assert_array_equal(entries.verified[win[ok]], full.verified[rows[ok]])

        ctx = LearnerContext(subjects, np.zeros(3, np.uint64), np.nan, np.nan, [], 0, 0, {})
        cand, lazy = candidates(index, ctx, np.zeros(0, dtype=np.int64), quality)
        np.testing.assert_array_equal(cand, reached)
        match_at, via_at, verified_at = lazy.at(cand)
        np.testing.assert_array_equal(match_at, full.match[cand])
        np.testing.assert_array_equal(via_at, full.via[cand])
        np.testing.assert_array_equal(verified_at, full.verified[cand])
        np.testing.assert_array_equal(
            lazy.quality_column(cand), quality.column(cand, full.via, full.subjects)
        )


@pytest.mark.parametrize("weights_kind", ["prior", "learned", "negative match"])
def test_entry_pruning_keeps_the_full_top_n(weights_kind: str) -> None:
    rng = np.random.default_rng(11)
    index = index_with_hierarchy(rng)
    quality = quality_for(index, rng)
    weights = PRIOR_WEIGHTS.copy()
    if weights_kind == "learned":
        weights = rng.normal(0.05, 0.08, PRIOR_WEIGHTS.size)
        weights[1] = 0.25
    elif weights_kind == "negative match":
        weights[0] = -0.1
    penalty = np.where(rng.random(N) < 0.05, rng.random(N) * 0.3 - 0.05, 0.0)  # some < 0
    pruned_somewhere = False
    for i in range(30):
        ctx = LearnerContext(
            subjects=subjects_for(rng),
            week=rng.integers(0, 2**40, size=3, dtype=np.uint64),
            lat=float(np.radians(50.0)) if i % 3 else float("nan"),
            lon=float(np.radians(8.0)) if i % 3 else float("nan"),
            languages=["l1", "l7", "l19"] if i % 2 else [],
            styles=5 if i % 4 else 0,
            formats=3 if i % 4 else 0,
            past={
                int(t): float(v) for t, v in zip(rng.integers(1, N, 6), [0, 0.25, 0.75, 1, 1, 1])
            },
        )
        rows, m = candidates(index, ctx, np.array([3, 17], dtype=np.int64), quality)
        if i % 5 == 4:  # a subset of the candidates (as ``free_at`` filters them)
            rows = rows[rng.random(rows.size) < 0.7]
        n = 10 + 60 * (i % 2)
        a_rows, a_x, _, a_scores, a_best = score_candidates(
            index, ctx, rows, m, weights, n, penalty=penalty
        )
        _, lazy = candidates(index, ctx, np.array([3, 17], dtype=np.int64), quality)
        b_rows, b_x, _, b_scores, b_best = score_candidates(
            index, ctx, rows, lazy, weights, n, prune=False, penalty=penalty
        )
        assert lazy.match is not None  # prune=False scores through subject_match itself
        pruned_somewhere |= a_rows.size < rows.size
        assert a_rows[a_best].tolist() == b_rows[b_best].tolist()
        np.testing.assert_allclose(a_scores[a_best], b_scores[b_best], rtol=0, atol=1e-12)
        np.testing.assert_array_equal(a_x[a_best], b_x[b_best])
        assert not set(a_rows[a_best].tolist()) & {3, 17}
        assert np.isin(a_rows, rows).all()
    assert pruned_somewhere


def test_entry_pruning_when_the_best_entries_are_excluded() -> None:
    """The first set's rows are mostly excluded: it grows until it has n candidate rows."""
    rng = np.random.default_rng(5)
    index = index_with_hierarchy(rng)
    quality = quality_for(index, rng)
    ctx = LearnerContext([(104, 0), (112, 1)], np.zeros(3, np.uint64), np.nan, np.nan, [], 0, 0, {})
    rows, m = candidates(index, ctx, np.zeros(0, dtype=np.int64), quality)
    full_rows, _, _, _, full_best = score_candidates(
        index, ctx, rows, m, PRIOR_WEIGHTS, 400, prune=False
    )
    exclude = np.sort(full_rows[full_best])
    rows, m = candidates(index, ctx, exclude, quality)
    assert rows.size > 1000
    a_rows, _, _, _, a_best = score_candidates(index, ctx, rows, m, PRIOR_WEIGHTS, 70)
    _, lazy = candidates(index, ctx, exclude, quality)
    b_rows, _, _, _, b_best = score_candidates(
        index, ctx, rows, lazy, PRIOR_WEIGHTS, 70, prune=False
    )
    assert a_rows.size < rows.size
    assert a_rows[a_best].tolist() == b_rows[b_best].tolist()
    assert not set(a_rows[a_best].tolist()) & set(exclude.tolist())
