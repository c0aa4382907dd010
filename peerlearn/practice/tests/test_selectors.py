"""Progress: solved counts, streaks in the user's own time zone, the recommended next problem."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from peerlearn.common.testing import make_user
from peerlearn.practice import selectors
from peerlearn.practice.bank import ProblemSpec
from peerlearn.practice.models import Solve, Submission
from peerlearn.practice.services import problem_import

from .factories import make_add_problem

pytestmark = pytest.mark.django_db


def accepted_at(user, problem, moment: datetime) -> Submission:
    submission = Submission.objects.create(
        user=user,
        problem=problem,
        language="python",
        code="x",
        mode="submit",
        status="done",
        verdict="accepted",
        finished_at=moment,
    )
    Solve.objects.get_or_create(
        user=user, problem=problem, defaults={"submission": submission, "solved_at": moment}
    )
    return submission


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_streak_counts_days_in_the_users_own_time_zone() -> None:
    problem = make_add_problem()
    tokyo = make_user(timezone="Asia/Tokyo")  # UTC+9
    # 16:00 UTC is already the next day in Tokyo: these are Tokyo's 2, 3 and 4 March.
    for day in (1, 2, 3):
        accepted_at(tokyo, problem, utc(2027, 3, day, 16))
    assert selectors.solve_days(user=tokyo) == [
        date(2027, 3, 2),
        date(2027, 3, 3),
        date(2027, 3, 4),
    ]
    assert selectors.streak(user=tokyo, today=date(2027, 3, 4)) == (3, 3)
    assert selectors.streak(user=tokyo, today=date(2027, 3, 5)) == (3, 3)  # today not over yet
    assert selectors.streak(user=tokyo, today=date(2027, 3, 6)) == (0, 3)  # a day was missed


def test_the_same_moments_make_a_different_streak_elsewhere() -> None:
    problem = make_add_problem()
    honolulu = make_user(timezone="Pacific/Honolulu")  # UTC-10
    # 09:00 and 23:00 UTC on 1 March are both 28 Feb / 1 Mar in Honolulu: two different days.
    accepted_at(honolulu, problem, utc(2027, 3, 1, 9))
    accepted_at(honolulu, problem, utc(2027, 3, 1, 23))
    assert selectors.solve_days(user=honolulu) == [date(2027, 2, 28), date(2027, 3, 1)]
    assert selectors.streak(user=honolulu, today=date(2027, 3, 1)) == (2, 2)


def test_a_streak_runs_through_the_daylight_saving_changes() -> None:
    problem = make_add_problem()
    berlin = make_user(timezone="Europe/Berlin")
    # 23:30 local each night around the spring change (28 March 2027, 02:00 → 03:00).
    for moment in (
        utc(2027, 3, 26, 22, 30),
        utc(2027, 3, 27, 22, 30),
        utc(2027, 3, 28, 21, 30),
        utc(2027, 3, 29, 21, 30),
    ):
        accepted_at(berlin, problem, moment)
    assert selectors.solve_days(user=berlin) == [date(2027, 3, d) for d in (26, 27, 28, 29)]
    assert selectors.streak(user=berlin, today=date(2027, 3, 29)) == (4, 4)
    # … and around the autumn change (31 October 2027, 03:00 → 02:00).
    for moment in (utc(2027, 10, 29, 22, 30), utc(2027, 10, 30, 22, 30), utc(2027, 10, 31, 23, 30)):
        accepted_at(berlin, problem, moment)
    assert selectors.streak(user=berlin, today=date(2027, 10, 31)) == (3, 4)


def test_a_user_who_moves_sees_their_streak_in_the_new_zone() -> None:
    problem = make_add_problem()
    traveller = make_user(timezone="America/Los_Angeles")  # UTC-8 in January
    # 06:00 UTC on 2 and 3 Jan: evenings of 1 and 2 Jan in Los Angeles, mornings in Berlin.
    accepted_at(traveller, problem, utc(2027, 1, 2, 6))
    accepted_at(traveller, problem, utc(2027, 1, 3, 6))
    assert selectors.solve_days(user=traveller) == [date(2027, 1, 1), date(2027, 1, 2)]
    traveller.profile.timezone = "Europe/Berlin"
    traveller.profile.save()
    assert selectors.solve_days(user=traveller) == [date(2027, 1, 2), date(2027, 1, 3)]
    with time_machine.travel(utc(2027, 1, 3, 12), tick=False):
        assert selectors.streak(user=traveller) == (2, 2)


def _problem(slug: str, difficulty: str, topics: list[str]):
    spec = ProblemSpec(
        slug=slug,
        title=slug.title(),
        difficulty=difficulty,
        topics=topics,
        kind="stdio",
        statement="-",
        starter_code={"python": ""},
        hidden=[{"input": "", "expected": ""}],
        reference_solutions={"python": ""},
    )
    return problem_import(spec)[0]


def test_progress_counts_by_difficulty_and_topic_and_recommends_the_weakest_topic() -> None:
    ada = make_user()
    easy_arrays = [_problem(f"arrays-{n}", "easy", ["arrays"]) for n in range(3)]
    easy_graph = _problem("graph-easy", "easy", ["graphs"])
    medium_graph = _problem("graph-medium", "medium", ["graphs"])
    _problem("arrays-medium", "medium", ["arrays"])
    for problem in easy_arrays:
        accepted_at(ada, problem, utc(2027, 1, 1))
    progress = selectors.progress(user=ada)
    assert progress.solved_total == 3
    assert progress.solved_by_difficulty == {"easy": (3, 4), "medium": (0, 2), "hard": (0, 0)}
    assert [(t.slug, solved, available) for t, solved, available in progress.solved_by_topic] == [
        ("arrays", 3, 4),
        ("graphs", 0, 2),
    ]
    # Graphs is the weakest topic (0 %); three easy solves make medium the next step.
    assert progress.recommendation == medium_graph
    assert progress.recommendation_reasons[0] == "Graphs is your weakest topic (0% solved)"
    assert "Medium is your next step" in progress.recommendation_reasons
    assert easy_graph != progress.recommendation


def test_a_new_user_is_recommended_an_easy_problem() -> None:
    _problem("hard-one", "hard", ["math"])
    easy = _problem("easy-one", "easy", ["math"])
    assert selectors.progress(user=make_user()).recommendation == easy


def test_the_bank_filters_by_status() -> None:
    ada = make_user()
    solved, tried, _ = (_problem(s, "easy", ["math"]) for s in ("solved", "tried", "fresh"))
    accepted_at(ada, solved, utc(2027, 1, 1))
    Submission.objects.create(
        user=ada, problem=tried, language="python", code="x", mode="submit", verdict="wrong_answer"
    )
    slugs = lambda status: [p.slug for p in selectors.problems(user=ada, status=status)]  # noqa: E731
    assert slugs("solved") == ["solved"]
    assert slugs("attempted") == ["tried"]
    assert slugs("unsolved") == ["fresh", "tried"]  # easiest first, then by title
    assert slugs("") == ["fresh", "solved", "tried"]
    assert [p.slug for p in selectors.problems(user=ada, search="FRE")] == ["fresh"]
