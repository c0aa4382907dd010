"""The ranker's arithmetic: pairwise fit, NDCG, exposure weights, grades, off-policy
evaluation, Thompson exploration with a bounded share, and the quality shrinkage."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from peerlearn.matching import quality as q
from peerlearn.matching.index import TutorIndex
from peerlearn.matching.ranker import (
    CHOICE_SHARE,
    SHOWN,
    LoggedSlate,
    choice_pairs,
    evaluate_policies,
    examination,
    fit_pairwise,
    grade_of,
    ndcg_at,
    outcome_pairs,
    pairs,
)
from peerlearn.matching.recommend import (
    EXPLORE_FIRST_POSITION,
    FEATURES,
    PRIOR_WEIGHTS,
    QUALITY,
    explore,
)

LANGUAGE = FEATURES.index("language")
RATING = FEATURES.index("rating")


def test_ndcg_is_one_for_the_ideal_order() -> None:
    rel = np.array([3.0, 0, 2, 1])
    assert ndcg_at(rel, rel) == pytest.approx(1.0)
    assert ndcg_at(-rel, rel) < 1.0


def test_fit_pairwise_moves_weight_towards_what_separates_better_from_worse() -> None:
    rng = np.random.default_rng(0)
    diffs = rng.normal(0, 0.1, (200, PRIOR_WEIGHTS.shape[0]))
    diffs[:, LANGUAGE] = np.abs(diffs[:, LANGUAGE]) + 0.3
    w = fit_pairwise(diffs)
    assert w[LANGUAGE] > PRIOR_WEIGHTS[LANGUAGE]
    assert np.abs(w).sum() == pytest.approx(np.abs(PRIOR_WEIGHTS).sum())
    # weighted: pairs of weight zero teach nothing
    flipped = -diffs
    both = np.vstack([diffs, flipped])
    weights = np.r_[np.ones(200), np.zeros(200)]
    assert fit_pairwise(both, weights)[LANGUAGE] > PRIOR_WEIGHTS[LANGUAGE]


def test_grades_come_from_the_outcome_relative_to_the_learners_habit() -> None:
    assert grade_of("no_show", None) == 0.0
    assert grade_of("declined", None) == 0.0
    assert grade_of("booked", None) is None  # not happened yet: no label
    assert grade_of("cancelled", None) is None
    assert grade_of("completed", None) == 2.0  # unrated
    assert grade_of("completed", 0.8) == 3.0
    assert grade_of("completed", 0.0) == 2.0
    assert grade_of("completed", -1.0) == 1.0
    assert grade_of("completed", -2.0) == 0.0
    assert examination(1) == 1.0 and examination(4) < examination(2) < 1


def slate(x_booked: np.ndarray, others: list[np.ndarray], grade: float, weight: float = 1.0):
    X = np.vstack([x_booked, *others])
    grades = np.full(X.shape[0], SHOWN)
    grades[0] = grade
    return LoggedSlate(datetime(2030, 1, 1, tzinfo=UTC), X, grades, 0, weight, 1, [1, 2, 3])


def test_choice_pairs_orient_by_outcome_and_skip_full_tutors() -> None:
    a, b, c = (np.full(len(FEATURES), v) for v in (0.9, 0.5, 0.1))
    full = slate(a, [b, c], 3.0, 4.0)
    full.room = np.array([1.0, 0.0, 2.0])  # b had no room left: not chosen says nothing
    diffs, weights = choice_pairs([full, slate(a, [b], 0.0)])
    assert diffs.shape == (2, len(FEATURES))
    assert np.allclose(diffs[0], a - c) and np.allclose(diffs[1], b - a)  # bad: others better
    assert weights.tolist() == [4.0, 1.0]


def test_outcome_pairs_put_the_better_session_first() -> None:
    good = slate(np.full(len(FEATURES), 0.8), [np.zeros(len(FEATURES))], 3.0)
    bad = slate(np.full(len(FEATURES), 0.2), [np.zeros(len(FEATURES))], 0.0)
    diffs, _ = outcome_pairs([good, bad, good])
    assert diffs.shape[0] >= 2 and np.allclose(diffs, 0.6)
    _, w = pairs([good, bad])
    assert w.sum() == pytest.approx(1.0 + CHOICE_SHARE)


def test_off_policy_evaluation_prefers_the_policy_that_ranks_good_outcomes_first() -> None:
    rng = np.random.default_rng(3)
    slates = []
    for _ in range(40):
        X = rng.random((6, len(FEATURES)))
        best = int(np.argmax(X[:, LANGUAGE]))
        grades = np.full(6, SHOWN)
        grades[best] = 3.0
        slates.append(LoggedSlate(datetime(2030, 1, 1, tzinfo=UTC), X, grades, best, 1.0, 1, []))
    language_only = np.zeros(len(FEATURES))
    language_only[LANGUAGE] = 1
    m = evaluate_policies(slates, {"lang": language_only, "rating": "rating", "random": "random"})
    assert m["lang"]["ndcg"] == pytest.approx(1.0) and m["lang"]["hit1"] == pytest.approx(1.0)
    assert m["random"]["ndcg"] < 0.9 and m["rating"]["hit1"] < 0.6
    assert m["random"]["outcome"] == 0.5


def test_exploration_takes_a_bounded_share_never_the_top_three_with_propensities() -> None:
    rng = np.random.default_rng(5)
    n_rows = 80
    X = rng.random((n_rows, len(FEATURES)))
    X[-1] = X[np.argsort(-(X @ PRIOR_WEIGHTS))[12]]  # the new tutor: just below the list
    scores = X @ PRIOR_WEIGHTS
    mean = np.zeros(n_rows)
    var = np.full(n_rows, 0.01)
    var[-1] = 4.0  # a new tutor: anything is possible
    greedy_top = np.argsort(-scores)[:8].tolist()
    picks_of_new = 0
    for _ in range(200):
        s = explore(scores, X, mean, var, PRIOR_WEIGHTS, 10, rng)
        assert s.picks.size == 10 and len(set(s.picks.tolist())) == 10
        assert s.explored.sum() == 2
        assert not s.explored[: EXPLORE_FIRST_POSITION - 1].any()
        assert s.picks[~s.explored].tolist() == greedy_top
        assert (s.propensity[~s.explored] == 1).all()
        assert ((s.propensity[s.explored] > 0) & (s.propensity[s.explored] <= 1)).all()
        picks_of_new += int(n_rows - 1 in s.picks[s.explored].tolist())
    assert picks_of_new > 20  # the wide posterior gets its chances
    small = explore(scores, X, mean, var, PRIOR_WEIGHTS, 3, rng)
    assert not small.explored.any()
    assert len(FEATURES) - 1 == QUALITY


def tiny_index(n: int) -> TutorIndex:
    z = np.zeros(n)
    return TutorIndex(
        ids=np.arange(1, n + 1, dtype=np.int64),
        rating=z + 4,
        rating_count=z,
        sessions=z,
        reliability=z + 1,
        response=z,
        response_minutes=z,
        verified_any=z.astype(bool),
        lat=z,
        lon=z,
        languages=z.astype(np.uint64),
        styles=z.astype(np.uint8),
        formats=z.astype(np.uint8),
        week=np.zeros((n, 3), dtype=np.uint64),
        by_subject={
            10: (np.arange(n), np.full(n, 3, dtype=np.int8), np.zeros(n, dtype=bool)),
            11: (np.arange(n), np.full(n, 3, dtype=np.int8), np.zeros(n, dtype=bool)),
        },
        parent_of={10: 1, 11: 1, 1: None},
        children_of={1: [10, 11]},
        row_of={i + 1: i for i in range(n)},
    )


def outcome(tutor: int, subject: int, y: float) -> q.SessionOutcome:
    return q.SessionOutcome(1, tutor, subject, y, datetime(2030, 1, 1, tzinfo=UTC))


def test_estimates_shrink_towards_the_tutor_and_the_platform_and_differ_by_topic() -> None:
    index = tiny_index(8)
    data = [outcome(1, 10, 1.0)]  # one great session
    data += [outcome(2, 10, 1.0) for _ in range(10)]  # ten great sessions
    data += [outcome(3, 10, 1.0) for _ in range(6)] + [outcome(3, 11, -1.0) for _ in range(6)]
    data += [outcome(t, 10, 0.1 * t - 0.2) for t in (4, 5, 6, 7, 8) for _ in range(2)]
    est = q.estimate(index, data)
    one, ten = est.tutor_mean[0], est.tutor_mean[1]
    assert 0 < one < ten < 1.0  # more evidence, less shrinkage
    assert est.tutor_var[1] < est.tutor_var[0]
    rows = np.array([0, 1, 2])
    mean10, _ = est.posterior(index, rows, np.array([10, 10, 10]))
    mean11, var11 = est.posterior(index, rows, np.array([11, 11, 11]))
    assert mean10[2] > 0 > mean11[2]  # good at topic 10, weak at topic 11
    assert mean11[1] == pytest.approx(est.tutor_mean[1], abs=0.3)  # no data there: shrunk
    assert var11[1] > est.tutor_var[1]  # ... and less certain
    column = est.column(np.arange(8), np.array([10] * 8), [10])
    assert column[2] == pytest.approx(q.quality_feature(mean10[2]))
    assert est.seen[10][2] == (6, 1.0)
    flat = q.estimate(index, [])
    assert (flat.tutor_mean == 0).all() and flat.outcomes == 0
