"""The learned ranker: pairwise logistic regression (RankNet with a linear scorer) in NumPy.

A pair (better, worse) of tutors for the same learner says ``w·x_better > w·x_worse``; we fit
``P = σ(w·(x_b − x_w))`` by gradient descent with L2. The served weights blend the hand-set
prior with the learned vector: ``α·learned + (1−α)·prior``, ``α = n/(n+K)`` for n pairs.
"""

from __future__ import annotations

import numpy as np

from .recommend import FEATURES, PRIOR_WEIGHTS

BLEND_K = 200.0


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
    """The served weights: the latest ``RankerVersion`` blended with the prior (cached per
    process by the version's id)."""
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
