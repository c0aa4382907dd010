"""Awards: who earns what for each event, never twice, with the cached total equal to the
ledger; and the rules against gaming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum

from peerlearn.common.testing import make_tutor, make_user
from peerlearn.gamification import events, rules, services
from peerlearn.gamification.models import PointAward, PointTotal
from peerlearn.notifications.models import Notification

from .factories import completed_session, make_problem, make_review, make_solve

pytestmark = pytest.mark.django_db

MONDAY = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)  # a Monday


def ledger(user) -> list[tuple[str, int]]:
    return sorted(PointAward.objects.filter(user=user).values_list("cause", "points"))


def assert_totals_match_ledger() -> None:
    sums = dict(
        PointAward.objects.values("user_id").annotate(s=Sum("points")).values_list("user_id", "s")
    )
    totals = dict(PointTotal.objects.values_list("user_id", "points"))
    assert {uid: p for uid, p in totals.items() if p} == sums


class TestSessions:
    def test_a_completed_session_earns_the_tutor_and_the_learner_their_points(
        self, django_capture_on_commit_callbacks
    ) -> None:
        tutor, learner = make_tutor(), make_user()
        booking = completed_session(tutor, learner, ends_at=MONDAY)

        with django_capture_on_commit_callbacks(execute=True):
            events.session_completed(booking.pk)

        assert ledger(tutor) == [("session_tutored", 20)]
        assert ledger(learner) == [("session_attended", 10)]
        award = PointAward.objects.get(user=learner)
        assert award.object_id == booking.pk and award.subject_id == booking.subject_id
        assert award.earned_at == booking.ends_at and award.url == f"/sessions/{booking.pk}/"
        assert_totals_match_ledger()

    def test_the_same_event_twice_awards_once(self, django_capture_on_commit_callbacks) -> None:
        tutor, learner = make_tutor(), make_user()
        booking = completed_session(tutor, learner, ends_at=MONDAY)

        with django_capture_on_commit_callbacks(execute=True):
            events.session_completed(booking.pk)
            events.session_completed(booking.pk)
        rules.award_session_completed(booking.pk)  # a retried task

        assert PointAward.objects.count() == 2
        assert PointTotal.objects.get(user=tutor).points == 20
        assert PointTotal.objects.get(user=learner).points == 10

    def test_nothing_is_enqueued_for_a_rolled_back_change(
        self, django_capture_on_commit_callbacks
    ) -> None:
        booking = completed_session(make_tutor(), make_user(), ends_at=MONDAY)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            events.session_completed(booking.pk)
        assert len(callbacks) == 1 and PointAward.objects.count() == 0

    def test_every_learner_of_a_group_session_earns_and_the_tutor_earns_once(self) -> None:
        tutor, learners = make_tutor(), [make_user() for _ in range(3)]
        booking = completed_session(tutor, learners, ends_at=MONDAY)

        rules.award_session_completed(booking.pk)

        assert ledger(tutor) == [("session_tutored", 20)]
        for learner in learners:
            assert ledger(learner) == [("session_attended", 10)]

    @pytest.mark.parametrize("status", ["confirmed", "cancelled", "no_show"])
    def test_a_session_that_did_not_complete_earns_nothing(self, status: str) -> None:
        booking = completed_session(make_tutor(), make_user(), ends_at=MONDAY, status=status)
        assert rules.award_session_completed(booking.pk) == []
        assert rules.award_session_completed(999_999) == []


class TestAntiGaming:
    def test_a_session_shorter_than_the_minimum_earns_nothing(self, settings) -> None:
        settings.GAMIFICATION_MIN_SESSION_MINUTES = 20
        tutor, learner = make_tutor(), make_user()
        short = completed_session(tutor, learner, ends_at=MONDAY, minutes=15)
        enough = completed_session(tutor, learner, ends_at=MONDAY + timedelta(hours=2), minutes=20)

        assert rules.award_session_completed(short.pk) == []
        assert len(rules.award_session_completed(enough.pk)) == 2

    def test_the_same_pair_earns_for_at_most_the_weekly_cap_of_sessions(self, settings) -> None:
        settings.GAMIFICATION_PAIR_WEEKLY_CAP = 3
        tutor, learner, other = make_tutor(), make_user(), make_user()
        week = [
            completed_session(tutor, learner, ends_at=MONDAY + timedelta(days=d)) for d in range(5)
        ]
        for booking in week:
            rules.award_session_completed(booking.pk)
        assert PointTotal.objects.get(user=learner).points == 3 * 10
        assert PointTotal.objects.get(user=tutor).points == 3 * 20

        # Another learner with the same tutor, and the same pair next week, still count.
        rules.award_session_completed(
            completed_session(tutor, other, ends_at=MONDAY + timedelta(days=2, hours=3)).pk
        )
        next_monday = completed_session(tutor, learner, ends_at=MONDAY + timedelta(days=7))
        rules.award_session_completed(next_monday.pk)
        assert PointTotal.objects.get(user=learner).points == 4 * 10
        assert PointTotal.objects.get(user=tutor).points == 5 * 20
        assert_totals_match_ledger()

    def test_a_capped_learner_in_a_group_does_not_stop_the_others(self, settings) -> None:
        settings.GAMIFICATION_PAIR_WEEKLY_CAP = 1
        tutor, regular, newcomer = make_tutor(), make_user(), make_user()
        rules.award_session_completed(completed_session(tutor, regular, ends_at=MONDAY).pk)
        group = completed_session(tutor, [regular, newcomer], ends_at=MONDAY + timedelta(days=1))

        rules.award_session_completed(group.pk)

        assert ledger(regular) == [("session_attended", 10)]  # the first session only
        assert ledger(newcomer) == [("session_attended", 10)]
        assert ledger(tutor) == [("session_tutored", 20), ("session_tutored", 20)]

    def test_a_retry_of_an_awarded_session_is_not_refused_by_the_cap(self, settings) -> None:
        settings.GAMIFICATION_PAIR_WEEKLY_CAP = 1
        tutor, learner = make_tutor(), make_user()
        booking = completed_session(tutor, learner, ends_at=MONDAY)
        rules.award_session_completed(booking.pk)
        assert rules.award_session_completed(booking.pk) == []
        assert ledger(learner) == [("session_attended", 10)]

    def test_a_solution_copied_from_another_user_earns_nothing(self) -> None:
        author, copier, honest = make_user(), make_user(), make_user()
        problem = make_problem("medium")
        code = "def f(a, b):\n    return a + b\n"
        make_solve(author, problem, at=MONDAY, code=code)
        copied = make_solve(
            copier, problem, at=MONDAY + timedelta(hours=1), code="def f(a, b):  return a + b"
        )
        own = make_solve(honest, problem, at=MONDAY + timedelta(hours=2), code="def f(a,b): 1")

        assert rules.award_problem_solved(copied.pk) == []
        assert len(rules.award_problem_solved(own.pk)) == 1
        assert ledger(copier) == []

    def test_the_original_author_still_earns_when_a_copy_came_later(self) -> None:
        author, copier = make_user(), make_user()
        problem = make_problem("hard")
        original = make_solve(author, problem, at=MONDAY, code="x = 1")
        make_solve(copier, problem, at=MONDAY + timedelta(minutes=5), code="x  =  1")
        assert len(rules.award_problem_solved(original.pk)) == 1

    def test_a_review_counts_once_per_session_whatever_the_number_of_reviews(self) -> None:
        tutor, a, b = make_tutor(), make_user(), make_user()
        booking = completed_session(tutor, [a, b], ends_at=MONDAY)
        first = make_review(booking, tutor, a)
        second = make_review(booking, tutor, b)

        assert len(rules.award_review_submitted(first.pk)) == 1
        assert rules.award_review_submitted(second.pk) == []
        assert ledger(tutor) == [("review_written", 5)]


class TestSolvesAndReviews:
    @pytest.mark.parametrize(("difficulty", "points"), [("easy", 10), ("medium", 20), ("hard", 40)])
    def test_a_first_solve_earns_points_by_difficulty(
        self, difficulty: str, points: int, django_capture_on_commit_callbacks
    ) -> None:
        user = make_user()
        solve = make_solve(user, make_problem(difficulty), at=MONDAY)
        with django_capture_on_commit_callbacks(execute=True):
            events.problem_solved(solve.pk)
        award = PointAward.objects.get(user=user)
        assert (award.cause, award.points, award.earned_at) == ("problem_solved", points, MONDAY)
        assert award.url == f"/practice/problems/{solve.problem.slug}/"

    def test_a_problem_earns_once_even_if_its_solve_is_recorded_again(self) -> None:
        from peerlearn.practice.models import Solve

        user, problem = make_user(), make_problem()
        solve = make_solve(user, problem, at=MONDAY)
        rules.award_problem_solved(solve.pk)
        Solve.objects.filter(pk=solve.pk).delete()  # e.g. re-judged, then solved again
        again = make_solve(user, problem, at=MONDAY + timedelta(days=1))
        assert rules.award_problem_solved(again.pk) == []
        assert PointTotal.objects.get(user=user).points == 10

    def test_a_review_earns_its_author_points(self, django_capture_on_commit_callbacks) -> None:
        tutor, learner = make_tutor(), make_user()
        booking = completed_session(tutor, learner, ends_at=MONDAY)
        review = make_review(booking, learner, tutor)
        with django_capture_on_commit_callbacks(execute=True):
            events.review_submitted(review.pk)
        assert ledger(learner) == [("review_written", 5)]
        assert ledger(tutor) == []

    def test_the_total_can_be_rebuilt_from_the_ledger(self) -> None:
        user = make_user()
        rules.award_problem_solved(make_solve(user, at=MONDAY).pk)
        PointTotal.objects.filter(user=user).update(points=12345)
        assert services.points_total_rebuild(user_id=user.pk) == 10
        assert PointTotal.objects.get(user=user).points == 10


def test_a_badge_is_announced_once_when_earned(django_capture_on_commit_callbacks) -> None:
    user = make_user()
    solve = make_solve(user, at=datetime.now(UTC))
    with django_capture_on_commit_callbacks(execute=True):
        events.problem_solved(solve.pk)
    with django_capture_on_commit_callbacks(execute=True):
        events.problem_solved(solve.pk)
        events.submission_accepted(solve.submission_id)

    notes = Notification.objects.filter(user=user, kind="badge")
    assert [n.title for n in notes] == ["Badge earned: First Accepted"]
    assert notes[0].url == "/leaderboard/badges/"
