"""Top-10 recommendation latency over in-memory tutor arrays (10k, 100k, 1M tutors), against a
bare NumPy floor (``X @ w`` + ``argpartition`` over the same feature matrix) in the same run.

Run: .venv/bin/python bench/matching.py [--sizes 10000,100000,1000000] [--repeats 40] [--check]
(``--check`` also scores every candidate without pruning and counts identical top-10 sets).
The load average is printed first: on this 2-core machine other jobs inflate every number.
Arrays are built with the index's own layout (``TutorIndex``); no database is needed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

# The script folder holds bench/http.py, which would shadow the standard library http.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()

from peerlearn.matching.index import TutorIndex  # noqa: E402
from peerlearn.matching.quality import Quality  # noqa: E402
from peerlearn.matching.recommend import (  # noqa: E402
    CAPACITY_PENALTY,
    EXPLORE_POOL,
    FEATURES,
    PRIOR_WEIGHTS,
    LearnerContext,
    candidates,
    explore_top,
    score_candidates,
)

SUBJECTS = 400


def synthetic_index(n: int, rng: np.random.Generator) -> TutorIndex:
    subject_of = rng.integers(0, SUBJECTS, size=(n, 3))
    by_subject = {}
    flat_rows = np.repeat(np.arange(n), 3)
    flat_subj = subject_of.ravel()
    order = np.argsort(flat_subj, kind="stable")
    bounds = np.searchsorted(flat_subj[order], np.arange(SUBJECTS + 1))
    for s in range(SUBJECTS):
        rows = flat_rows[order[bounds[s] : bounds[s + 1]]]
        by_subject[s + 100] = (
            rows,
            rng.integers(0, 4, rows.size).astype(np.int8),
            rng.random(rows.size) < 0.25,
        )
    parent_of: dict[int, int | None] = {s + 100: 10 + s // 20 for s in range(SUBJECTS)}
    children_of: dict[int, list[int]] = {}
    for s, p in parent_of.items():
        children_of.setdefault(p, []).append(s)  # type: ignore[arg-type]
    return TutorIndex(
        ids=np.arange(1, n + 1, dtype=np.int64),
        rating=1 + 4 * rng.random(n),
        rating_count=rng.integers(0, 50, n).astype(float),
        sessions=rng.integers(0, 80, n).astype(float),
        reliability=rng.random(n),
        response=rng.random(n),
        response_minutes=rng.random(n) * 600,
        verified_any=rng.random(n) < 0.25,
        lat=np.radians(40 + 15 * rng.random(n)),
        lon=np.radians(-5 + 25 * rng.random(n)),
        languages=rng.integers(1, 16, n).astype(np.uint64),
        styles=rng.integers(0, 16, n).astype(np.uint8),
        formats=rng.integers(0, 16, n).astype(np.uint8),
        week=rng.integers(0, 2**63, size=(n, 3), dtype=np.uint64),
        language_bits={"en": 0, "de": 1, "fr": 2, "es": 3},
        by_subject=by_subject,
        parent_of=parent_of,
        children_of=children_of,
        subject_names={s: f"S{s}" for s in parent_of},
        row_of={},
    )


def learner(rng: np.random.Generator) -> LearnerContext:
    return LearnerContext(
        subjects=[(int(rng.integers(100, 100 + SUBJECTS)), 1) for _ in range(3)],
        week=rng.integers(0, 2**63, size=3, dtype=np.uint64),
        lat=float(np.radians(50.0)),
        lon=float(np.radians(8.0)),
        languages=["en"],
        styles=3,
        formats=1,
        past={},
    )


def synthetic_quality(index: TutorIndex, rng: np.random.Generator) -> Quality:
    """Per-tutor and per-topic estimates shaped like ``quality.estimate``'s."""
    q = Quality(rng.normal(0, 0.5, index.size), rng.uniform(0.05, 0.3, index.size))
    q.by_subject = {}
    for sid, (rows, _, _) in index.by_subject.items():  # 5 % of tutors with outcomes there
        over = np.sort(rows[rng.random(rows.size) < 0.05])
        q.by_subject[sid] = (over, rng.normal(0, 0.7, over.size), rng.uniform(0.05, 0.5, over.size))
    return q


def recommend_once(
    index: TutorIndex,
    ctx: LearnerContext,
    quality: Quality,
    full: np.ndarray,
    demand: np.ndarray,
    rng: np.random.Generator,
    *,
    prune: bool = True,
) -> np.ndarray:
    """``top_tutors``' scoring path: candidates with their quality → exact pruning with the
    no-room penalty → features → the best 10 + ``EXPLORE_POOL`` → ``arrange`` (forecast demand
    re-orders places 2–3) → Thompson exploration."""
    rows, m = candidates(index, ctx, np.array([], dtype=np.int64), quality)
    scored, X, _, scores, _ = score_candidates(
        index, ctx, rows, m, PRIOR_WEIGHTS, 10 + EXPLORE_POOL, prune=prune, penalty=full
    )
    slate = explore_top(
        index, quality, m, scored, scores, X, PRIOR_WEIGHTS, 10, rng, demand[scored]
    )
    return scored[slate.picks]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument(
        "--check", action="store_true", help="also compare each top 10 with full scoring"
    )
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rng = np.random.default_rng(1)
    print(
        f"{'tutors':>9} {'p50 ms':>8} {'p95 ms':>8} {'floor p50':>9} {'floor p95':>9}"
        f" {'ratio p95':>9}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        index = synthetic_index(n, rng)
        quality = synthetic_quality(index, rng)
        # a few tutors with no room left, a few more forecast over capacity
        full = np.where(rng.random(n) < 0.02, CAPACITY_PENALTY, 0.0)
        demand = np.where(rng.random(n) < 0.05, 0.1, 0.0)
        X_full = rng.random((n, len(FEATURES)))
        times, floor = [], []
        same = 0
        for _ in range(args.repeats):
            ctx = learner(rng)
            t0 = time.perf_counter()
            recommend_once(index, ctx, quality, full, demand, rng)
            times.append(time.perf_counter() - t0)
            if args.check:
                every = recommend_once(
                    index, ctx, quality, full, demand, np.random.default_rng(0), prune=False
                )
                pruned = recommend_once(index, ctx, quality, full, demand, np.random.default_rng(0))
                same += pruned.tolist() == every.tolist()
        # The floor runs in its own loop: OpenBLAS worker threads keep spinning for a while after
        # a multithreaded X @ w and would otherwise steal a core from the next timed call.
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            s = X_full @ PRIOR_WEIGHTS
            np.argpartition(-s, 10)[:10]
            floor.append(time.perf_counter() - t0)
        p50, p95 = np.percentile(times, [50, 95]) * 1000
        f50, f95 = np.percentile(floor, [50, 95]) * 1000
        print(f"{n:>9} {p50:8.2f} {p95:8.2f} {f50:9.2f} {f95:9.2f} {p95 / f95:9.1f}")
        if args.check:
            print(f"{'':>9} pruned top 10 == full top 10: {same}/{args.repeats}")


if __name__ == "__main__":
    main()
