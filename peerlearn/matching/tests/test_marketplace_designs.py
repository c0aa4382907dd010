"""The marketplace's second design draws a different world: quality mostly per topic, more
varied rating habits, more flaky tutors (the same seed, other spreads)."""

from __future__ import annotations

import numpy as np

from peerlearn.matching.marketplace.truth import ALTERNATIVE, DEFAULT, make_truth


def test_the_alternative_design_makes_quality_mostly_per_topic() -> None:
    default = make_truth(400, 800, 3, DEFAULT)
    other = make_truth(400, 800, 3, ALTERNATIVE)

    def topic_share(q: np.ndarray) -> float:  # share of the quality variance within a tutor
        return float(q.var(axis=1).mean() / q.var())

    assert topic_share(other.quality) > topic_share(default.quality) + 0.2
    assert other.generosity.std() > default.generosity.std()
    assert (other.no_show >= 0.2).mean() > (default.no_show >= 0.2).mean()
    assert default.tutor_topics == other.tutor_topics  # the same seed draws the same layout
