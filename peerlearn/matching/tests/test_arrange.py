"""How a list is arranged: the first place is the best match (forecast demand and exploration
never move it), demand spreads places 2–3 within the best candidates, exploration takes only
lower places; the learned fit stays near the prior until outcomes accrue, and is promoted only
on a win beyond the noise."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from peerlearn.matching.ranker import (
    PROMOTE_CONFIDENCE,
    SHOWN,
    LoggedSlate,
    beats_share,
    fit_from_prior,
    fit_pairwise,
)
from peerlearn.matching.recommend import (
    CAPACITY_PLACES,
    EXPLORE_FIRST_POSITION,
    EXPLORE_POOL,
    FEATURES,
    PRIOR_WEIGHTS,
    arrange,
    explore,
)

LANGUAGE = FEATURES.index("language")


def test_demand_never_moves_the_first_place_and_spreads_the_next_ones() -> None:
    scores = np.linspace(1.0, 0.0, 200)  # row i is the i-th best
    demand = np.zeros(200)
    demand[:5] = 0.5  # the five best are forecast over-booked
    order = arrange(scores, demand, 10)
    assert order[0] == 0  # the best match keeps the first place
    assert order[1:CAPACITY_PLACES].tolist() == [5, 6]  # the best ones with room follow
    assert order[CAPACITY_PLACES : CAPACITY_PLACES + 4].tolist() == [1, 2, 3, 4]
    assert order.size == 10 + EXPLORE_POOL and len(set(order.tolist())) == order.size
    assert set(order.tolist()) == set(range(10 + EXPLORE_POOL))  # nothing from outside


def test_without_demand_the_order_is_the_score_order() -> None:
    scores = np.random.default_rng(1).random(100)
    order = arrange(scores, np.zeros(100), 10)
    assert order.tolist() == np.argsort(-scores)[: 10 + EXPLORE_POOL].tolist()


def test_exploration_follows_the_arranged_order_below_its_first_position() -> None:
    rng = np.random.default_rng(3)
    X = rng.random((120, len(FEATURES)))
    scores = X @ PRIOR_WEIGHTS
    demand = np.where(rng.random(120) < 0.3, 0.2, 0.0)
    order = arrange(scores, demand, 10)
    var = np.full(120, 2.0)
    for _ in range(50):
        slate = explore(scores, X, np.zeros(120), var, PRIOR_WEIGHTS, 10, rng, order)
        assert not slate.explored[: EXPLORE_FIRST_POSITION - 1].any()
        assert slate.picks[~slate.explored].tolist() == order[:8].tolist()


def test_the_fit_leaves_the_prior_only_as_sessions_accrue() -> None:
    rng = np.random.default_rng(0)
    diffs = rng.normal(0, 0.1, (400, len(FEATURES)))
    diffs[:, LANGUAGE] = np.abs(diffs[:, LANGUAGE]) + 0.2  # better sessions share a language
    weights = np.ones(400)
    few = fit_from_prior(diffs, weights, 10)
    many = fit_from_prior(diffs, weights, 5000)
    free = fit_pairwise(diffs, weights)
    gap = [float(np.abs(w - PRIOR_WEIGHTS).sum()) for w in (few, many, free)]
    assert gap[0] < gap[1] <= gap[2] + 1e-9
    assert PRIOR_WEIGHTS[LANGUAGE] < few[LANGUAGE] < many[LANGUAGE]


def test_promotion_needs_a_win_beyond_the_noise() -> None:
    rng = np.random.default_rng(4)
    slates = []
    for _ in range(60):
        X = rng.random((4, len(FEATURES)))
        grades = np.full(4, SHOWN)
        grades[0] = 3.0 if X[0, LANGUAGE] > 0.5 else 1.0  # sessions went well in a language
        slates.append(LoggedSlate(datetime(2030, 1, 1, tzinfo=UTC), X, grades, 0, 1.0, 1, []))
    language = PRIOR_WEIGHTS.copy()
    language[LANGUAGE] = 1.0
    assert beats_share(slates, language, PRIOR_WEIGHTS) >= PROMOTE_CONFIDENCE
    assert beats_share(slates, PRIOR_WEIGHTS, PRIOR_WEIGHTS) == 0.5  # a tie is no win
