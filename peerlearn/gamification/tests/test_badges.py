"""Each badge's rule and the progress a person sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from peerlearn.common.testing import make_tutor, make_user
from peerlearn.gamification import badges, rules, selectors, services
from peerlearn.gamification.models import BadgeAward
from peerlearn.notifications.models import Notification
from peerlearn.scheduling.models import Booking, BookingEvent

from .factories import accepted_submission, completed_session, make_problem, make_review, make_solve

pytestmark = pytest.mark.django_db


def progress(key: str, user, now: datetime | None = None) -> tuple[int, int, bool]:
    p = badges.badge_progress(badges.BADGES_BY_KEY[key], user, now=now)
    return p.shown_value, p.target, p.met


def earned(user) -> list[str]:
    return list(BadgeAward.objects.filter(user=user).values_list("badge", flat=True))


class TestTopMentor:
    def test_it_counts_completed_sessions_rated_4_5_or_more_up_to_20(self, monkeypatch) -> None:
        tutor = make_tutor()
        learners = [make_user() for _ in range(3)]
        past = timezone.now() - timedelta(days=30)  # reviews revealed: the window has closed
        for i, score in enumerate([5, 5, 4]):
            booking = completed_session(tutor, learners[i], ends_at=past + timedelta(days=i))
            make_review(booking, learners[i], tutor, score=score)

        assert progress("top_mentor", tutor) == (2, 20, False)

        from peerlearn.reviews import selectors as review_selectors

        monkeypatch.setattr(review_selectors, "sessions_rated_at_least", lambda user, t: 20)
        assert progress("top_mentor", tutor) == (20, 20, True)
        services.badges_refresh(user_id=tutor.pk)
        assert earned(tutor) == ["top_mentor"]


class TestFastResponder:
    def requests(self, tutor, minutes_to_answer: list[float], action: str = "accept") -> None:
        learner = make_user()
        base = datetime(2030, 1, 1, 9, tzinfo=UTC) + timedelta(days=Booking.objects.count())
        for i, minutes in enumerate(minutes_to_answer):
            booking = completed_session(
                tutor, learner, ends_at=base + timedelta(days=i, hours=2), status="confirmed"
            )
            asked = BookingEvent.objects.create(booking=booking, actor=learner, action="request")
            answered = BookingEvent.objects.create(booking=booking, actor=tutor, action=action)
            at = base + timedelta(days=i)
            BookingEvent.objects.filter(pk=asked.pk).update(at=at)
            BookingEvent.objects.filter(pk=answered.pk).update(at=at + timedelta(minutes=minutes))

    def test_a_median_answer_under_an_hour_over_five_requests_earns_it(self) -> None:
        tutor = make_tutor()
        self.requests(tutor, [5, 10, 240, 30])
        p = badges.fast_responder(tutor)
        assert (p.shown_value, p.target, p.met) == (4, 5, False)
        assert p.detail == "Your median answer time: 20 min."
        self.requests(tutor, [50], action="decline")
        assert progress("fast_responder", tutor) == (5, 5, True)

    def test_a_median_of_an_hour_or_more_does_not_earn_it(self) -> None:
        tutor = make_tutor()
        self.requests(tutor, [5, 10, 90, 120, 600, 30])  # median (30 + 90) / 2 = 60
        p = badges.fast_responder(tutor)
        assert (p.value, p.met) == (6, False) and p.detail == "Your median answer time: 60 min."

    def test_only_the_tutors_own_first_answer_counts(self) -> None:
        tutor = make_tutor()
        self.requests(tutor, [10] * 5)
        booking = Booking.objects.first()
        assert booking is not None
        late = BookingEvent.objects.create(booking=booking, actor=tutor, action="accept")
        BookingEvent.objects.filter(pk=late.pk).update(at=datetime(2031, 1, 1, tzinfo=UTC))
        assert badges.response_minutes(tutor) == [10.0] * 5

    def test_no_requests_no_progress(self) -> None:
        p = badges.fast_responder(make_tutor())
        assert (p.value, p.met, p.detail) == (0, False, "No answered requests yet.")


class TestStreakBadge:
    def test_seven_days_in_a_row_earn_it_with_progress_before(self) -> None:
        user = make_user(timezone="Europe/Berlin")
        start = datetime(2030, 5, 1, 10, tzinfo=UTC)
        for day in range(6):
            rules.award_problem_solved(make_solve(user, at=start + timedelta(days=day)).pk)
        now = start + timedelta(days=5, hours=1)
        assert progress("streak_7", user, now) == (6, 7, False)
        rules.award_problem_solved(make_solve(user, at=start + timedelta(days=6)).pk)
        assert progress("streak_7", user, now + timedelta(days=1)) == (7, 7, True)


class TestPracticeBadges:
    def test_first_accepted_needs_an_accepted_submit(self) -> None:
        user = make_user()
        assert progress("first_accepted", user) == (0, 1, False)
        accepted_submission(user, make_problem(), at=timezone.now())
        assert progress("first_accepted", user) == (1, 1, True)

    def test_polyglot_needs_accepted_submits_in_python_cpp_and_javascript(self) -> None:
        user, problem = make_user(), make_problem()
        now = timezone.now()
        accepted_submission(user, problem, at=now, language="python")
        accepted_submission(user, problem, at=now, language="python")
        accepted_submission(user, problem, at=now, language="cpp")
        p = badges.polyglot(user)
        assert (p.value, p.target, p.met) == (2, 3, False)
        assert p.detail == "Solved in Python 3, C++17."
        accepted_submission(user, problem, at=now, language="javascript")
        assert progress("polyglot", user) == (3, 3, True)

    def test_a_later_accepted_submit_in_a_new_language_completes_polyglot(
        self, django_capture_on_commit_callbacks
    ) -> None:
        from peerlearn.gamification import events

        user, problem = make_user(), make_problem()
        for language in ("python", "cpp"):
            accepted_submission(user, problem, at=timezone.now(), language=language)
        last = accepted_submission(user, problem, at=timezone.now(), language="javascript")
        with django_capture_on_commit_callbacks(execute=True):
            events.submission_accepted(last.pk)
        assert sorted(earned(user)) == ["first_accepted", "polyglot"]
        assert Notification.objects.filter(user=user, kind="badge").count() == 2


def test_the_badges_list_shows_every_badge_with_progress_and_earned_dates() -> None:
    user = make_user()
    solve = make_solve(user, at=timezone.now())
    rules.award_problem_solved(solve.pk)
    services.badges_refresh(user_id=user.pk)

    statuses = {s.badge.key: s for s in selectors.badges_list(user=user)}

    assert list(statuses) == [
        "top_mentor",
        "fast_responder",
        "streak_7",
        "first_accepted",
        "polyglot",
    ]
    assert statuses["first_accepted"].earned_at is not None
    assert statuses["streak_7"].earned_at is None and statuses["streak_7"].progress.value == 1
    assert statuses["polyglot"].progress.percent == 33


def test_a_reviewed_tutor_is_rechecked_when_a_review_arrives(
    django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from peerlearn.gamification import events
    from peerlearn.reviews import selectors as review_selectors

    tutor, learner = make_tutor(), make_user()
    booking = completed_session(tutor, learner, ends_at=timezone.now() - timedelta(hours=2))
    review = make_review(booking, learner, tutor)
    rated = {tutor.pk: 20}
    monkeypatch.setattr(
        review_selectors, "sessions_rated_at_least", lambda user, t: rated.get(user.pk, 0)
    )
    with django_capture_on_commit_callbacks(execute=True):
        events.review_submitted(review.pk)
    assert earned(tutor) == ["top_mentor"]
    assert earned(learner) == []
