"""Background work for gamification: one task per kind of event. Each applies its rule
(``rules.py``) and then awards any badge the people involved now meet. Every step is
idempotent, so a retried or duplicated task changes nothing."""

from __future__ import annotations

from collections.abc import Iterable

from django.tasks import task

from peerlearn.live.selectors import participant_ids
from peerlearn.practice.models import Solve, Submission
from peerlearn.reviews.models import Review
from peerlearn.scheduling.models import Booking

from . import rules, services


def _refresh_badges(user_ids: Iterable[int]) -> None:
    for user_id in sorted(set(user_ids)):
        services.badges_refresh(user_id=user_id)


@task()
def award_session_completed(booking_id: int) -> int:
    awards = rules.award_session_completed(booking_id)
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is not None:
        _refresh_badges(participant_ids(booking))
    return len(awards)


@task()
def award_review_submitted(review_id: int) -> int:
    awards = rules.award_review_submitted(review_id)
    review = Review.objects.filter(pk=review_id).first()
    if review is not None:
        # The author earned points; the reviewed person's rating may complete Top Mentor.
        _refresh_badges([review.author_id, review.subject_id])
    return len(awards)


@task()
def award_problem_solved(solve_id: int) -> int:
    awards = rules.award_problem_solved(solve_id)
    user_id = Solve.objects.filter(pk=solve_id).values_list("user_id", flat=True).first()
    if user_id is not None:
        _refresh_badges([user_id])
    return len(awards)


@task()
def recheck_submitter_badges(submission_id: int) -> int:
    user_id = Submission.objects.filter(pk=submission_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return 0
    return len(services.badges_refresh(user_id=user_id))


@task()
def recheck_badges(user_id: int) -> int:
    return len(services.badges_refresh(user_id=user_id))


@task()
def award_forum_answer_accepted(reply_id: int) -> int:
    awards = rules.award_forum_answer_accepted(reply_id)
    _refresh_badges(a.user_id for a in awards)
    return len(awards)


@task()
def award_forum_upvote_received(
    voter_id: int, thread_id: int | None = None, reply_id: int | None = None
) -> int:
    awards = rules.award_forum_upvote_received(voter_id, thread_id=thread_id, reply_id=reply_id)
    _refresh_badges(a.user_id for a in awards)
    return len(awards)
