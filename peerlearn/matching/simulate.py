"""A synthetic marketplace for the ranker (no database): tutors with random feature vectors,
learners with hidden preferences over the features, rounds of requests and outcomes.

Each round every learner is shown the top 10 of 40 candidates by the current weights (plus two
random ones, so the log holds some exploration), picks one by a softmax over their hidden
utility, and the outcome (good or bad) is recorded as pairs: the chosen tutor above the others
shown when good, below them when bad. The ranker is refit after each round and scored with
NDCG@10 on fresh held-out requests graded by the hidden utility.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ranker import blend, fit_pairwise, ndcg_at
from .recommend import FEATURES, PRIOR_WEIGHTS

# What learners in the simulation really value (unknown to the ranker): shared time, language
# and response matter more, and rating less, than the prior assumes.
HIDDEN_MEAN = np.array([0.20, 0.25, 0.03, 0.02, 0.02, 0.05, 0.20, 0.05, 0.12, 0.04, 0.02])


@dataclass
class RoundResult:
    round: int
    pairs: int
    ndcg_prior: float
    ndcg_learned: float


def _grade(utility: np.ndarray) -> np.ndarray:
    """Hidden utility → graded relevance 0..3 within one request (by quartile)."""
    ranks = np.argsort(np.argsort(utility))
    return np.floor(4 * ranks / utility.shape[0]).astype(float)


def simulate(
    *, rounds: int = 8, seed: int = 7, learners: int = 8, tutors: int = 400
) -> list[RoundResult]:
    rng = np.random.default_rng(seed)
    k = len(FEATURES)
    pool = rng.random((tutors, k))
    prefs = np.clip(HIDDEN_MEAN + rng.normal(0, 0.03, (learners, k)), 0, None)
    test_sets = [
        (rng.choice(tutors, 40, replace=False), rng.integers(learners)) for _ in range(150)
    ]
    diffs: list[np.ndarray] = []
    weights = PRIOR_WEIGHTS.copy()
    out = []
    for r in range(1, rounds + 1):
        for learner in range(learners):
            shown_pool = rng.choice(tutors, 40, replace=False)
            X = pool[shown_pool]
            order = np.argsort(-(X @ weights))
            shown = np.concatenate([order[:10], rng.choice(order[10:], 2, replace=False)])
            utility = X[shown] @ prefs[learner]
            p = np.exp(utility * 40)
            pick = rng.choice(shown.shape[0], p=p / p.sum())
            good = rng.random() < 1 / (1 + np.exp(-(utility[pick] - utility.mean()) * 60))
            for j in range(shown.shape[0]):
                if j == pick:
                    continue
                d = X[shown[pick]] - X[shown[j]]
                diffs.append(d if good else -d)
        learned = fit_pairwise(np.array(diffs))
        weights = blend(learned, len(diffs))
        n_prior, n_learned = [], []
        for rows, who in test_sets:
            X = pool[rows]
            rel = _grade(X @ prefs[who])
            n_prior.append(ndcg_at(X @ PRIOR_WEIGHTS, rel))
            n_learned.append(ndcg_at(X @ weights, rel))
        out.append(RoundResult(r, len(diffs), float(np.mean(n_prior)), float(np.mean(n_learned))))
    return out
