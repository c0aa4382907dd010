"""What other apps tell gamification. Each function enqueues a task once the caller's
transaction commits (nothing happens for a rolled-back change), so call it inside the service
that made the change. The tasks are idempotent: calling twice, or a task retried, awards once.

- ``session_completed(booking_id)``: from ``scheduling.services.booking_complete``.
- ``review_submitted(review_id)``: from the reviews service that submits a review.
- ``problem_solved(solve_id)``: from ``practice.services._record_solve`` when the Solve is new.
- ``submission_accepted(submission_id)``: from ``practice.services._finish`` for every
  accepted Submit (badges only).
- ``badges_recheck(user_id)``: when reviews of a tutor are revealed (the reviews app).
- ``forum_answer_accepted(reply_id)``: from ``forum.services.answer_accept``.
- ``forum_upvote_received(voter_id, thread_id=, reply_id=)``: from ``forum.services.vote_cast``
  when a vote becomes +1.
"""

from __future__ import annotations

from django.db import transaction

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
