"""The hidden-truth marketplace: it runs through the real services, the ranker never reads the
truth, and the scores it prints mean what they say."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from peerlearn.matching.marketplace.run import POLICIES, ndcg10, simulate
from peerlearn.matching.marketplace.truth import make_truth
from peerlearn.matching.models import Impression, RankerVersion
from peerlearn.reviews.models import Review
from peerlearn.scheduling.models import Booking

MATCHING = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
            names.update(f"{node.module}.{a.name}" for a in node.names if node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_nothing_but_the_marketplace_and_its_command_reads_the_truth() -> None:
    allowed = {MATCHING / "marketplace", MATCHING / "management", MATCHING / "tests"}
    for path in MATCHING.rglob("*.py"):
        if any(path.is_relative_to(a) for a in allowed):
            continue
        assert not any("marketplace" in name for name in imports_of(path)), path


def test_the_truth_ranks_by_expected_value_and_grades_the_top_five() -> None:
    truth = make_truth(40, 30, seed=3)
    for learner in range(30):
        ranking = truth.true_ranking(learner)
        values = [truth.expected_value(learner, t) for t in ranking]
        assert values == sorted(values, reverse=True)
        rel = truth.relevance(learner)
        assert [rel[t] for t in ranking[:5]] == [3.0] * 5
        assert ndcg10(ranking[:10], rel) == pytest.approx(1.0)
        assert all(truth.teaches(t, int(truth.learner_topic[learner])) for t in ranking)
    assert ndcg10([], {}) == 0.0


@pytest.mark.django_db(transaction=False)
def test_a_small_marketplace_runs_through_the_services() -> None:
    lines: list[str] = []
    results = simulate(tutors=12, learners=18, rounds=2, seed=5, progress=lines.append)
    assert [r.round for r in results] == [1, 2]
    for r in results:
        assert set(r.metrics) == set(POLICIES)
        assert r.metrics["oracle"]["hit1"] == 1.0 and r.metrics["oracle"]["ndcg10"] == 1.0
        for m in r.metrics.values():
            assert 0 <= m["hit1"] <= 1 and 0 <= m["ndcg10"] <= 1 and 0 <= m["no_show"] <= 1
        assert r.bookings > 0 and r.sessions + r.tutor_no_shows == r.bookings
    # what the services recorded: impressions, bookings, reviews, ranker versions
    assert Impression.objects.filter(surface="recommended").values("slate").distinct().count() == 36
    assert Impression.objects.filter(booking__isnull=False).exists()
    assert Booking.objects.filter(status=Booking.Status.COMPLETED).count() >= results[0].sessions
    assert Review.objects.filter(direction="of_tutor").exists()
    assert RankerVersion.objects.count() == 2
    assert any(line.startswith("round 2:") for line in lines)
    assert np.isfinite([r.metrics["ours"]["ndcg10"] for r in results]).all()


@pytest.mark.django_db
def test_the_command_refuses_to_write_without_being_told() -> None:
    with pytest.raises(CommandError, match="throwaway"):
        call_command("simulate_marketplace")
