"""Exact pruning in ``recommend.score_candidates``: same top 10 as scoring every candidate."""

from __future__ import annotations

import numpy as np
import pytest

from peerlearn.matching.index import TutorIndex
from peerlearn.matching.quality import Quality
from peerlearn.matching.recommend import (
    PRIOR_WEIGHTS,
    PRUNE_K,
    LearnerContext,
    candidates,
    score_candidates,
)

SUBJECTS = 60


def synthetic_index(n: int, rng: np.random.Generator) -> TutorIndex:
    by_subject = {}
    for s in range(SUBJECTS):
        rows = np.sort(rng.choice(n, size=int(n * 3 / SUBJECTS), replace=False))
        by_subject[s + 100] = (
            rows,
            rng.integers(0, 4, rows.size).astype(np.int8),
            rng.random(rows.size) < 0.25,
        )
    parent_of: dict[int, int | None] = {s + 100: 10 + s // 12 for s in range(SUBJECTS)}
    children_of: dict[int, list[int]] = {}
    for s, p in parent_of.items():
        assert p is not None
        children_of.setdefault(p, []).append(s)
    lat = np.radians(40 + 15 * rng.random(n))
    lat[rng.random(n) < 0.2] = np.nan
    ids = np.arange(1, n + 1, dtype=np.int64)
    return TutorIndex(
        ids=ids,
        rating=1 + 4 * rng.random(n),
        rating_count=rng.integers(0, 50, n).astype(float),
        sessions=rng.integers(0, 80, n).astype(float),
        reliability=rng.random(n),
        response=rng.random(n),
        response_minutes=rng.random(n) * 600,
        verified_any=rng.random(n) < 0.25,
        lat=lat,
        lon=np.radians(-5 + 25 * rng.random(n)),
        languages=rng.integers(0, 16, n).astype(np.uint64),
        styles=rng.integers(0, 16, n).astype(np.uint8),
        formats=rng.integers(0, 16, n).astype(np.uint8),
        week=rng.integers(0, 2**40, size=(n, 3), dtype=np.uint64),  # sparse: shared time varies
        language_bits={"en": 0, "de": 1, "fr": 2, "es": 3},
        by_subject=by_subject,
        parent_of=parent_of,
        children_of=children_of,
        subject_names={s: f"S{s}" for s in parent_of},
        row_of={int(i): r for r, i in enumerate(ids)},
    )


def learner(rng: np.random.Generator, i: int) -> LearnerContext:
    located = i % 3 != 0
    return LearnerContext(
        subjects=[(int(rng.integers(100, 100 + SUBJECTS)), int(rng.integers(0, 4)))],
        week=rng.integers(0, 2**40, size=3, dtype=np.uint64),
        lat=float(np.radians(50.0)) if located else float("nan"),
        lon=float(np.radians(8.0)) if located else float("nan"),
        languages=["en", "fr"] if i % 2 else [],
        styles=3 if i % 4 else 0,
        formats=1 if i % 4 else 0,
        past={int(t): float(v) for t, v in zip(rng.integers(1, 20_000, 5), [0, 0.25, 0.75, 1, 1])},
    )


def random_quality(index: TutorIndex, rng: np.random.Generator) -> Quality:
    """Per-tutor and per-topic estimates as ``quality.estimate`` shapes them."""
    q = Quality(rng.normal(0, 0.5, index.size), rng.uniform(0.05, 0.3, index.size))
    q.by_subject = {}
    for sid, (rows, _, _) in index.by_subject.items():  # 5 % of tutors with outcomes there
        over = np.sort(rows[rng.random(rows.size) < 0.05])
        q.by_subject[sid] = (over, rng.normal(0, 0.7, over.size), rng.uniform(0.05, 0.5, over.size))
    return q


@pytest.mark.parametrize("weights_kind", ["prior", "learned"])
def test_pruned_top10_equals_full_scoring(weights_kind: str) -> None:
    rng = np.random.default_rng(20261123)
    index = synthetic_index(20_000, rng)
    weights = PRIOR_WEIGHTS.copy()
    if weights_kind == "learned":  # any sign is allowed by the ranker; the bound must hold
        weights = rng.normal(0.05, 0.08, PRIOR_WEIGHTS.size)
        weights[1] = 0.25  # shared time matters a lot: the widest slack
    quality = random_quality(index, rng)
    # a few tutors over capacity (the penalty lowers their scores; the bound must still hold)
    penalty = np.where(rng.random(index.size) < 0.05, rng.random(index.size) * 0.3, 0.0)
    pruned_somewhere = False
    for i in range(24):
        ctx = learner(rng, i)
        exclude = np.array([3, 17], dtype=np.int64)
        rows, m = candidates(index, ctx, exclude, quality)
        assert rows.size > PRUNE_K
        a_rows, _, _, a_scores, a_best = score_candidates(
            index, ctx, rows, m, weights, 10, penalty=penalty
        )
        b_rows, _, _, b_scores, b_best = score_candidates(
            index, ctx, rows, m, weights, 10, prune=False, penalty=penalty
        )
        pruned_somewhere |= a_rows.size < rows.size
        assert a_rows[a_best].tolist() == b_rows[b_best].tolist()
        # X @ w over a different number of rows may differ in the last ulp (BLAS blocking)
        np.testing.assert_allclose(a_scores[a_best], b_scores[b_best], rtol=0, atol=1e-12)
        assert not set(a_rows[a_best].tolist()) & {3, 17}
    assert pruned_somewhere
