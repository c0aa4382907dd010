"""The learner's and the tutor's dashboards against hand-computed fixtures, in the viewer's time
zone (Europe/Berlin, across the DST change of Sunday 29 March 2026)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peerlearn.analytics import dashboards, services
from peerlearn.analytics.models import DailyMetric, LearnerGoal
from peerlearn.practice.models import Solve
from peerlearn.scheduling.models import Booking

from .fixtures import booking, client_for, event, person, problem, review, submission, utc

pytestmark = pytest.mark.django_db
NOW = utc(2026, 4, 5, 12, 0)  # Sunday; the current week (Berlin) starts Monday 30 March


def solve(user: Any, slug: str, when: Any, difficulty: str = "easy") -> None:
    prob = problem(slug, difficulty)
    sub = submission(user, prob, created=when, wait_seconds=1)
    Solve.objects.create(user=user, problem=prob, submission=sub, solved_at=when)


@pytest.fixture
def learner_world() -> dict[str, Any]:
    learner = person("Lia", joined=utc(2026, 1, 1), timezone="Europe/Berlin")
    tutor = person("Tom", joined=utc(2026, 1, 1), timezone="Europe/Berlin")
    # 00:30 CEST on Monday 30 March: this week in Berlin (Sunday the 29th in UTC).
    b = booking(tutor, learner, starts=utc(2026, 3, 29, 22, 30), minutes=90)
    review(
        b, learner, tutor, utc(2026, 3, 30, 12), clarity=5, knowledge=5, patience=5, punctuality=5
    )
    review(b, tutor, learner, utc(2026, 3, 30, 13), preparedness=4, engagement=5)
    # 00:30 CET on Monday 23 March: last week (Sunday the 22nd in UTC).
    solve(learner, "a", utc(2026, 3, 22, 23, 30))
    solve(learner, "b", utc(2026, 3, 31, 10, 0), "medium")
    return {"learner": learner, "tutor": tutor, "booking": b}


def test_the_learner_sees_weeks_and_days_in_their_zone(learner_world: dict[str, Any]) -> None:
    board = dashboards.learner_dashboard(user=learner_world["learner"], now=NOW)
    weekly = {r[0]: r[1:] for r in board.tables["weekly"].rows}
    assert len(weekly) == 12 and list(weekly)[-1] == "2026-03-30"
    # week of: sessions, hours, solved, submissions
    assert weekly["2026-03-30"] == [1, 1.5, 1, 1]
    assert weekly["2026-03-23"] == [0, 0.0, 1, 1]
    assert board.tables["subjects"].rows == [["Analytics topic", 1, 1.5]]
    ratings = {r[0]: r[1:] for r in board.tables["ratings"].rows}
    assert ratings["Mar 2026"] == [4.0, 5.0]  # revealed: both sides reviewed
    solved_days = {d for week in board.calendar for d, on, _ in week if on}
    assert solved_days == {date(2026, 3, 23), date(2026, 3, 31)}
    assert dict(board.totals)["Hours learning"] == "1.5"


def test_goals_show_progress_and_pace(learner_world: dict[str, Any]) -> None:
    learner = learner_world["learner"]
    LearnerGoal.objects.create(
        user=learner,
        kind="sessions",
        target=2,
        starts_on=date(2026, 3, 20),
        due_on=date(2026, 4, 10),
    )
    LearnerGoal.objects.create(
        user=learner, kind="solves", target=2, starts_on=date(2026, 3, 20), due_on=date(2026, 4, 30)
    )
    LearnerGoal.objects.create(
        user=learner, kind="hours", target=3, starts_on=date(2026, 3, 1), due_on=date(2026, 4, 1)
    )
    goals = {g.goal.kind: g for g in dashboards.learner_dashboard(user=learner, now=NOW).goals}
    # 1 of 2 sessions with 17 of 22 days gone: behind
    assert (goals["sessions"].value, goals["sessions"].percent) == (1, 50)
    assert goals["sessions"].status == "behind"
    assert (goals["solves"].value, goals["solves"].status) == (2, "done")
    assert (goals["hours"].value, goals["hours"].status) == (1.5, "missed")


def test_goals_are_added_and_removed_through_the_page(learner_world: dict[str, Any]) -> None:
    client = client_for(learner_world["learner"])
    response = client.post(
        "/insights/me/learning/goals/", {"kind": "solves", "target": "5", "due_on": "2099-01-01"}
    )
    assert response.status_code == 400 and "Pick a date from today" in response.content.decode()
    due = (date.today() + timedelta(days=30)).isoformat()
    response = client.post(
        "/insights/me/learning/goals/", {"kind": "solves", "target": "5", "due_on": due}
    )
    assert response.status_code == 302
    goal = LearnerGoal.objects.get(user=learner_world["learner"])
    other = client_for(learner_world["tutor"])
    other.post(f"/insights/me/learning/goals/{goal.pk}/delete/")
    assert LearnerGoal.objects.filter(pk=goal.pk).exists()  # not theirs
    client.post(f"/insights/me/learning/goals/{goal.pk}/delete/")
    assert not LearnerGoal.objects.filter(pk=goal.pk).exists()


@pytest.fixture
def tutor_world() -> dict[str, Any]:
    tutor = person("Tia", joined=utc(2025, 1, 1), timezone="Europe/Berlin")
    learners = [person(f"L{i}", joined=utc(2025, 1, 1)) for i in range(5)]
    for i, learner in enumerate(learners):
        # each session ended on 1 February (≥ 28 days before NOW)
        b = booking(tutor, learner, starts=utc(2026, 2, 1, 8 + i), created=utc(2026, 1, 20, 8))
        event(b, "request", utc(2026, 1, 20, 8), actor=learner)
        event(b, "accept", utc(2026, 1, 20, 8 + i + 1), actor=tutor, to_status="confirmed")
        # practice: before, one solve and a wrong answer; after, two solves
        solve(learner, f"pre{i}", utc(2026, 1, 20, 12))
        submission(
            learner, problem(f"wa{i}"), created=utc(2026, 1, 21), wait_seconds=1,
            verdict="wrong_answer",
        )  # fmt: skip
        solve(learner, f"post{i}a", utc(2026, 2, 10, 12))
        solve(learner, f"post{i}b", utc(2026, 2, 20, 12))
    # Recent reviews by two more learners: punctuality low, with a comment about it.
    for i, (score, comment, tags) in enumerate(
        [(2, "Started 15 minutes late.", ["ran-late"]), (3, "Good, but late again.", [])]
    ):
        learner = person(f"R{i}", joined=utc(2025, 1, 1))
        b = booking(tutor, learner, starts=utc(2026, 3, 10 + i, 9))
        r = review(
            b, learner, tutor, utc(2026, 3, 10 + i, 12), comment=comment,
            clarity=5, knowledge=5, patience=5, punctuality=score,
        )  # fmt: skip
        type(r).objects.filter(pk=r.pk).update(tags=tags)
        review(b, tutor, learner, utc(2026, 3, 10 + i, 13), preparedness=4, engagement=4)
    return {"tutor": tutor, "learners": learners}


def test_the_tutor_sees_sessions_learners_and_response_time(tutor_world: dict[str, Any]) -> None:
    board = dashboards.tutor_dashboard(user=tutor_world["tutor"], now=NOW)
    totals = dict(board.totals)
    assert totals["Sessions given"] == "7"
    assert totals["Hours given"] == "7.0"
    assert totals["Learners helped"] == "7"
    assert totals["Repeat learners"] == "0"
    # first answers after 1, 2, 3, 4, 5 h: median 3 h
    assert totals["Median time to answer a request"] == "3.0 h"
    subjects = board.tables["subjects"].rows
    assert subjects == [["Analytics topic", 7, 7.0, 7]]


def test_impact_compares_practice_before_and_after(tutor_world: dict[str, Any]) -> None:
    board = dashboards.tutor_dashboard(user=tutor_world["tutor"], now=NOW)
    assert board.impact is not None
    assert (board.impact.learners, board.impact.sessions) == (5, 5)
    assert (board.impact.solves_before, board.impact.solves_after) == (1.0, 2.0)
    assert (board.impact.accept_before, board.impact.accept_after) == (0.5, 1.0)


def test_impact_is_hidden_under_five_learners(tutor_world: dict[str, Any]) -> None:
    Booking.objects.filter(created_by__in=tutor_world["learners"][:3]).update(status="cancelled")
    board = dashboards.tutor_dashboard(user=tutor_world["tutor"], now=NOW)
    assert board.impact is None and board.impact_learners == 2
    assert board.tables["subjects"].rows[0][3] == "< 5"  # 2 + the 2 recent reviewers


def test_a_low_dimension_becomes_advice_with_its_comments(tutor_world: dict[str, Any]) -> None:
    board = dashboards.tutor_dashboard(user=tutor_world["tutor"], now=NOW)
    assert [a.dimension for a in board.advice] == ["punctuality"]
    advice = board.advice[0]
    assert advice.reason == "Your punctuality averages 2.5 over the last 45 days."
    assert "Join the room a few minutes early" in advice.suggestion
    assert advice.comments == ["Good, but late again.", "Started 15 minutes late."]  # newest first


def test_the_tutor_is_compared_with_the_platform(tutor_world: dict[str, Any]) -> None:
    services.rollup_days(start=date(2026, 3, 1), end=date(2026, 3, 31))
    other = person("Other", joined=utc(2025, 1, 1))
    for i in range(3):
        learner = person(f"X{i}", joined=utc(2025, 1, 1))
        b = booking(other, learner, starts=utc(2026, 3, 20 + i, 9))
        review(
            b,
            learner,
            other,
            utc(2026, 3, 20 + i, 12),
            clarity=3,
            knowledge=3,
            patience=3,
            punctuality=5,
        )
    services.rollup_days(start=date(2026, 3, 1), end=date(2026, 3, 31))
    # one row per day with a punctuality score: the 10th, 11th, 20th, 21st and 22nd
    assert DailyMetric.objects.filter(name="rating.punctuality", is_total=True).count() == 5
    compare = {
        r[0]: r
        for r in dashboards.tutor_dashboard(user=tutor_world["tutor"], now=NOW)
        .tables["compare"]
        .rows
    }
    # Punctuality on the platform: 2, 3, 5, 5, 5 → mean 4.0; the tutor's mean 2.5, and one
    # of the 5 platform scores (the 2) is below it.
    assert compare["Punctuality"] == ["Punctuality", 2.5, 2, 4.0, "20%"]
    # Clarity: 5, 5, 3, 3, 3 → 3.8; the three 3s are below the tutor's 5.0
    assert compare["Clarity"] == ["Clarity", 5.0, 2, 3.8, "60%"]


def test_the_dashboards_cost_the_same_queries_with_more_data(
    tutor_world: dict[str, Any],
) -> None:
    tutor = tutor_world["tutor"]
    client = client_for(tutor)
    client.get("/insights/me/teaching/")
    client.get("/insights/me/learning/")

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    teaching, learning = count("/insights/me/teaching/"), count("/insights/me/learning/")
    for i in range(6):
        learner = person(f"More{i}", joined=utc(2025, 1, 1))
        b = booking(tutor, learner, starts=utc(2026, 3, 1 + i, 9))
        review(
            b,
            learner,
            tutor,
            utc(2026, 3, 1 + i, 12),
            clarity=4,
            knowledge=4,
            patience=4,
            punctuality=4,
        )
        b2 = booking(learner, tutor, starts=utc(2026, 3, 1 + i, 14))
        review(b2, learner, tutor, utc(2026, 3, 1 + i, 16), preparedness=4, engagement=4)
    assert count("/insights/me/teaching/") == teaching
    assert count("/insights/me/learning/") == learning
    api = client.get("/api/v1/analytics/me/teaching").json()
    assert api["totals"]["Sessions given"] == "13"
    learning = client.get("/api/v1/analytics/me/learning").json()
    assert learning["time_zone"] == "Europe/Berlin"
    assert learning["tables"]["weekly"]["columns"][0] == "Week of"
    exported = client.get("/insights/me/teaching/?export=subjects")
    assert exported.content.decode().splitlines()[1] == "Analytics topic,13,13.0,13"
