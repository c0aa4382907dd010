"""What earns points: the table of causes, and one function per cause that decides who gets
how many points for one event (with the rules against gaming) and hands them to
``services.points_award``.

Adding a cause (the forum's, for instance) is one row in ``CAUSES`` and one ``award_*``
function here, called from a new function in ``events.py``; see docs/gamification.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from peerlearn.forum.models import Reply, Thread, Vote
from peerlearn.live.selectors import participant_ids
from peerlearn.practice.models import Solve, Submission
from peerlearn.reviews.models import Review
from peerlearn.scheduling.models import Booking

from . import services
from .models import PointAward
from .services import Grant


@dataclass(frozen=True)
class Cause:
    key: str
    label: str
    points: int | Mapping[str, int]
    streak: bool  # a day with this cause keeps the daily streak going

    def describe_points(self) -> str:
        if isinstance(self.points, Mapping):
            return ", ".join(f"{k} {v}" for k, v in self.points.items())
        return str(self.points)


SESSION_TUTORED = "session_tutored"
SESSION_ATTENDED = "session_attended"
REVIEW_WRITTEN = "review_written"
PROBLEM_SOLVED = "problem_solved"
FORUM_ANSWER_ACCEPTED = "forum_answer_accepted"
FORUM_UPVOTE_RECEIVED = "forum_upvote_received"

CAUSES: dict[str, Cause] = {
    c.key: c
    for c in [
        Cause(SESSION_TUTORED, "Taught a session", 20, streak=True),
        Cause(SESSION_ATTENDED, "Took part in a session", 10, streak=True),
        Cause(REVIEW_WRITTEN, "Reviewed a session", 5, streak=False),
        Cause(
            PROBLEM_SOLVED,
            "Solved a practice problem",
            {"easy": 10, "medium": 20, "hard": 40},
            streak=True,
        ),
        Cause(FORUM_ANSWER_ACCEPTED, "Answer accepted in the forum", 15, streak=True),
        Cause(FORUM_UPVOTE_RECEIVED, "Upvote on a forum post", 2, streak=False),
    ]
}
STREAK_CAUSES = frozenset(key for key, cause in CAUSES.items() if cause.streak)


def points_for(cause: str, kind: str = "") -> int:
    points = CAUSES[cause].points
    return points[kind] if isinstance(points, Mapping) else points


def pair_weekly_cap() -> int:
    """Sessions between the same tutor and learner that earn points in one week (UTC)."""
    return int(settings.GAMIFICATION_PAIR_WEEKLY_CAP)


def min_session_minutes() -> int:
    """A shorter session earns no points."""
    return int(settings.GAMIFICATION_MIN_SESSION_MINUTES)


def utc_week(moment: datetime) -> tuple[datetime, datetime]:
    """The ISO week (Monday 00:00 UTC to the next) containing ``moment``."""
    from datetime import UTC

    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=7)


def _path(name: str, *args: object) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- sessions -----------------------------------------------------------------------------------


def _pair_sessions_in_week(learner_id: int, tutor_id: int, moment: datetime) -> int:
    start, end = utc_week(moment)
    return PointAward.objects.filter(
        user_id=learner_id,
        counterpart_id=tutor_id,
        cause=SESSION_ATTENDED,
        earned_at__gte=start,
        earned_at__lt=end,
    ).count()


def award_session_completed(booking_id: int) -> list[PointAward]:
    """A completed session earns its learners (active learner claims) and its tutor points.

    Against gaming: nothing for a session shorter than ``min_session_minutes()``; a learner earns
    nothing for a session with a tutor they already had ``pair_weekly_cap()`` point-earning
    sessions with that week (UTC, by the session's end), and the tutor earns only if at least
    one learner of the session did. The participants' totals are locked while the cap is
    checked, so concurrent completions of one pair cannot both slip under it."""
    booking = Booking.objects.select_related("subject").filter(pk=booking_id).first()
    if booking is None or booking.status != Booking.Status.COMPLETED:
        return []
    if booking.duration_minutes < min_session_minutes():
        return []
    tutor_id = booking.tutor_id
    learner_ids = sorted(participant_ids(booking) - {tutor_id})
    if not learner_ids:
        return []
    name = booking.title or booking.subject.name
    url = _path("scheduling:detail", booking.pk)
    created: list[PointAward] = []
    with transaction.atomic():
        services.points_lock(user_ids=[tutor_id, *learner_ids])
        learners_counted = 0
        for learner_id in learner_ids:
            already = PointAward.objects.filter(
                cause=SESSION_ATTENDED, object_id=booking.pk, user_id=learner_id
            ).exists()
            if not already and (
                _pair_sessions_in_week(learner_id, tutor_id, booking.ends_at) >= pair_weekly_cap()
            ):
                continue
            learners_counted += 1
            award = services.points_award(
                grant=Grant(
                    user_id=learner_id,
                    cause=SESSION_ATTENDED,
                    object_id=booking.pk,
                    points=points_for(SESSION_ATTENDED),
                    earned_at=booking.ends_at,
                    title=f"Session: {name}",
                    url=url,
                    subject_id=booking.subject_id,
                    counterpart_id=tutor_id,
                )
            )
            if award:
                created.append(award)
        if learners_counted:
            award = services.points_award(
                grant=Grant(
                    user_id=tutor_id,
                    cause=SESSION_TUTORED,
                    object_id=booking.pk,
                    points=points_for(SESSION_TUTORED),
                    earned_at=booking.ends_at,
                    title=f"Taught: {name}",
                    url=url,
                    subject_id=booking.subject_id,
                    counterpart_id=learner_ids[0] if len(learner_ids) == 1 else None,
                )
            )
            if award:
                created.append(award)
    return created


# --- reviews ------------------------------------------------------------------------------------


def award_review_submitted(review_id: int) -> list[PointAward]:
    """The author of a review of a completed session earns points, once per session (the key
    is the booking: withdrawing and rewriting a review, or reviewing each member of a group,
    earns nothing more). Nothing for reviewing oneself."""
    review = Review.objects.select_related("booking__subject").filter(pk=review_id).first()
    if review is None or review.author_id == review.subject_id:
        return []
    booking = review.booking
    if booking.status != Booking.Status.COMPLETED:
        return []
    award = services.points_award(
        grant=Grant(
            user_id=review.author_id,
            cause=REVIEW_WRITTEN,
            object_id=booking.pk,
            points=points_for(REVIEW_WRITTEN),
            earned_at=review.created_at,
            title=f"Reviewed: {booking.title or booking.subject.name}",
            url=_path("scheduling:detail", booking.pk),
            subject_id=booking.subject_id,
            counterpart_id=review.subject_id,
        )
    )
    return [award] if award else []


# --- practice -----------------------------------------------------------------------------------


def is_copied(submission: Submission) -> bool:
    """Its normalized code equals another user's earlier accepted submission of the problem."""
    if not submission.code_fingerprint:
        return False
    return (
        Submission.objects.filter(
            problem_id=submission.problem_id,
            mode=Submission.Mode.SUBMIT,
            verdict=Submission.Verdict.ACCEPTED,
            code_fingerprint=submission.code_fingerprint,
            created_at__lt=submission.created_at,
        )
        .exclude(user_id=submission.user_id)
        .exists()
    )


def award_problem_solved(solve_id: int) -> list[PointAward]:
    """A user's first solve of a problem earns points by difficulty (the key is the problem,
    so only the first solve ever counts). Nothing for a copied solution (``is_copied``)."""
    solve = Solve.objects.select_related("problem", "submission").filter(pk=solve_id).first()
    if solve is None or is_copied(solve.submission):
        return []
    problem = solve.problem
    award = services.points_award(
        grant=Grant(
            user_id=solve.user_id,
            cause=PROBLEM_SOLVED,
            object_id=problem.pk,
            points=points_for(PROBLEM_SOLVED, problem.difficulty),
            earned_at=solve.solved_at,
            title=f"Solved: {problem.title} ({problem.get_difficulty_display().lower()})",
            url=_path("practice:problem", problem.slug),
        )
    )
    return [award] if award else []


# --- the forum ---------------------------------------------------------------------------------


def award_forum_answer_accepted(reply_id: int) -> list[PointAward]:
    """The author of a reply accepted as a thread's answer earns points, once per reply (the key
    is the reply: clearing and accepting it again earns nothing more). Nothing for a reply the
    thread's author wrote, nor for one no longer accepted when the task runs."""
    reply = Reply.objects.select_related("thread").filter(pk=reply_id).first()
    if reply is None:
        return []
    thread = reply.thread
    if thread.accepted_reply_id != reply.pk or reply.author_id == thread.author_id:
        return []
    award = services.points_award(
        grant=Grant(
            user_id=reply.author_id,
            cause=FORUM_ANSWER_ACCEPTED,
            object_id=reply.pk,
            points=points_for(FORUM_ANSWER_ACCEPTED),
            earned_at=timezone.now(),
            title=f"Answer accepted: {thread.title}",
            url=_path("forum:thread", thread.pk),
            counterpart_id=thread.author_id,
        )
    )
    return [award] if award else []


def forum_vote_key(voter_id: int, *, thread_id: int | None, reply_id: int | None) -> int:
    """One award key per voter and post (a withdrawn and recast upvote is the same upvote):
    the voter's id in the high 32 bits, the post's id and whether it is a reply below."""
    post_id = thread_id if thread_id is not None else reply_id
    assert post_id is not None
    return (voter_id << 32) | (post_id << 1) | (reply_id is not None)


def award_forum_upvote_received(
    voter_id: int, *, thread_id: int | None = None, reply_id: int | None = None
) -> list[PointAward]:
    """A post's author earns points for each person's upvote, once per voter and post (taking
    the vote back and casting it again earns nothing). Nothing if the upvote is gone when the
    task runs, nor for a vote on one's own post (the forum refuses those anyway)."""
    post: Thread | Reply | None
    target: dict[str, int]
    if thread_id is not None:
        post = Thread.objects.filter(pk=thread_id).first()
        target = {"thread_id": thread_id}
    else:
        post = Reply.objects.select_related("thread").filter(pk=reply_id or 0).first()
        target = {"reply_id": reply_id or 0}
    vote = Vote.objects.filter(user_id=voter_id, value=1, **target).first()
    if post is None or vote is None or post.author_id == voter_id:
        return []
    thread = post if isinstance(post, Thread) else post.thread
    award = services.points_award(
        grant=Grant(
            user_id=post.author_id,
            cause=FORUM_UPVOTE_RECEIVED,
            object_id=forum_vote_key(voter_id, thread_id=thread_id, reply_id=reply_id),
            points=points_for(FORUM_UPVOTE_RECEIVED),
            earned_at=vote.created_at,
            title=f"Upvote: {thread.title}",
            url=_path("forum:thread", thread.pk),
            counterpart_id=voter_id,
        )
    )
    return [award] if award else []
