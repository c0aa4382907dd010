"""What gamification does when something happens in the apps below it. Those apps publish
typed hooks (``peerlearn.common.hooks``); ``subscribe_all`` (from ``GamificationConfig.ready``)
maps each to one function here. Each function enqueues a task once the transaction commits
(nothing happens for a rolled-back change). The tasks are idempotent: calling twice, or a task
retried, awards once.

- ``session_completed(booking_id)``: scheduling's ``BookingCompleted``.
- ``review_submitted(review_id)``: reviews' ``ReviewSubmitted``.
- ``problem_solved(solve_id)``: practice's ``ProblemSolved`` (the Solve is new).
- ``submission_accepted(submission_id)``: practice's ``SubmitAccepted``, for every accepted
  Submit (badges only).
- ``badges_recheck(user_id)``: reviews' ``TutorReviewRevealed``.
- ``forum_answer_accepted(reply_id)``: the forum's ``AnswerAccepted``.
- ``forum_upvote_received(voter_id, thread_id=, reply_id=)``: the forum's ``UpvoteGiven``.
"""

from __future__ import annotations

from django.db import transaction

from peerlearn.common import hooks
from peerlearn.forum.hooks import AnswerAccepted, UpvoteGiven
from peerlearn.practice.hooks import ProblemSolved, SubmitAccepted
from peerlearn.reviews.hooks import ReviewSubmitted, TutorReviewRevealed
from peerlearn.scheduling.hooks import BookingCompleted

from . import tasks


def session_completed(booking_id: int) -> None:
    """A booking reached ``completed``: its tutor and learners earn points."""
    transaction.on_commit(lambda: tasks.award_session_completed.enqueue(booking_id))


def review_submitted(review_id: int) -> None:
    """A review was submitted: its author earns points; badges of both sides are rechecked."""
    transaction.on_commit(lambda: tasks.award_review_submitted.enqueue(review_id))


def problem_solved(solve_id: int) -> None:
    """A first accepted solution of a problem was recorded: points by difficulty, badges."""
    transaction.on_commit(lambda: tasks.award_problem_solved.enqueue(solve_id))


def submission_accepted(submission_id: int) -> None:
    """Any accepted Submit (not only a problem's first): rechecks the practice badges, so a
    later accepted solution in a new language completes Polyglot. No points by itself."""
    transaction.on_commit(lambda: tasks.recheck_submitter_badges.enqueue(submission_id))


def badges_recheck(user_id: int) -> None:
    """Something a badge reads changed without an award (reviews of a tutor were revealed,
    which can complete Top Mentor): award any badge the user now meets."""
    transaction.on_commit(lambda: tasks.recheck_badges.enqueue(user_id))


def forum_answer_accepted(reply_id: int) -> None:
    """A reply was accepted as its thread's answer: its author earns points."""
    transaction.on_commit(lambda: tasks.award_forum_answer_accepted.enqueue(reply_id))


def forum_upvote_received(
    voter_id: int, *, thread_id: int | None = None, reply_id: int | None = None
) -> None:
    """Someone upvoted a post: its author earns points (once per voter and post)."""
    transaction.on_commit(
        lambda: tasks.award_forum_upvote_received.enqueue(
            voter_id, thread_id=thread_id, reply_id=reply_id
        )
    )


def subscribe_all() -> None:
    hooks.subscribe(BookingCompleted, _booking_completed)
    hooks.subscribe(ReviewSubmitted, _review_submitted)
    hooks.subscribe(TutorReviewRevealed, _tutor_review_revealed)
    hooks.subscribe(ProblemSolved, _problem_solved)
    hooks.subscribe(SubmitAccepted, _submit_accepted)
    hooks.subscribe(AnswerAccepted, _answer_accepted)
    hooks.subscribe(UpvoteGiven, _upvote_given)


def _booking_completed(event: BookingCompleted) -> None:
    session_completed(event.booking.pk)


def _review_submitted(event: ReviewSubmitted) -> None:
    review_submitted(event.review_id)


def _tutor_review_revealed(event: TutorReviewRevealed) -> None:
    badges_recheck(event.tutor_id)


def _problem_solved(event: ProblemSolved) -> None:
    problem_solved(event.solve_id)


def _submit_accepted(event: SubmitAccepted) -> None:
    submission_accepted(event.submission_id)


def _answer_accepted(event: AnswerAccepted) -> None:
    forum_answer_accepted(event.reply_id)


def _upvote_given(event: UpvoteGiven) -> None:
    forum_upvote_received(event.voter_id, thread_id=event.thread_id, reply_id=event.reply_id)
