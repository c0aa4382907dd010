from __future__ import annotations

import numpy as np
import pytest

from peerlearn.matching.ranker import blend, ndcg_at
from peerlearn.matching.recommend import PRIOR_WEIGHTS
from peerlearn.matching.simulate import simulate


def test_the_learned_ranker_beats_the_prior_on_simulated_outcomes() -> None:
    results = simulate(rounds=4, seed=7)
    last = results[-1]
    assert last.ndcg_learned > last.ndcg_prior + 0.05
    assert results[-1].ndcg_learned >= results[0].ndcg_learned - 0.01


def test_the_prior_dominates_without_data_and_fades_as_pairs_grow() -> None:
    learned = np.ones_like(PRIOR_WEIGHTS)
    assert np.allclose(blend(learned, 0), PRIOR_WEIGHTS)
    assert (
        np.abs(blend(learned, 100_000) - learned * PRIOR_WEIGHTS.sum() / learned.sum()).max() < 1e-3
    )


def test_ndcg_is_one_for_the_ideal_order() -> None:
    rel = np.array([3.0, 0, 2, 1])
    assert ndcg_at(rel, rel) == pytest.approx(1.0)
    assert ndcg_at(-rel, rel) < 1.0


def test_fit_pairwise_moves_weight_towards_what_separates_better_from_worse() -> None:
    from peerlearn.matching.ranker import fit_pairwise

    rng = np.random.default_rng(0)
    diffs = rng.normal(0, 0.1, (200, PRIOR_WEIGHTS.shape[0]))
    diffs[:, 6] = np.abs(diffs[:, 6]) + 0.3  # the better one always has more of feature 6
    w = fit_pairwise(diffs)
    assert w[6] > PRIOR_WEIGHTS[6]
    assert np.abs(w).sum() == pytest.approx(np.abs(PRIOR_WEIGHTS).sum())
    assert np.array_equal(fit_pairwise(np.zeros((0, PRIOR_WEIGHTS.shape[0]))), PRIOR_WEIGHTS)
