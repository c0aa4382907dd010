"""Writes for practice partners: topic ratings from judged Submits (Elo against the problem),
joining and leaving the partner queue, and matching waiting learners into a new private
practice session.

Matching is first come, first served: the oldest waiting entry of a queue (topic and
difficulty) is paired first, with the oldest later entry whose rating is within the pair's
rating window. The window starts at ±``PARTNERS_WINDOW_BASE`` and widens by
``PARTNERS_WINDOW_STEP`` every ``PARTNERS_WINDOW_STEP_SECONDS`` of waiting, up to
``PARTNERS_WINDOW_MAX``; a pair uses the wider of its two windows (the older entry's)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common.errors import Invalid, ServiceError
from peerlearn.common.realtime import broadcast
from peerlearn.practice import services as practice_services
from peerlearn.practice.models import (
    Difficulty,
    PracticeSession,
    PracticeTopic,
    Problem,
    Submission,
)

from . import conf, events
from .models import START_RATING, PartnerRequest, PracticeRating, RatingChange

logger = logging.getLogger(__name__)

#: A Submit is a game against its problem, rated by difficulty.
PROBLEM_RATINGS: dict[str, float] = {
    Difficulty.EASY: 1000.0,
    Difficulty.MEDIUM: 1400.0,
    Difficulty.HARD: 1800.0,
}
#: Verdicts that say nothing about the learner (the judge failed, or nothing ran).
UNRATED_VERDICTS = {"", Submission.Verdict.INTERNAL_ERROR, Submission.Verdict.SKIPPED}


# --- ratings --------------------------------------------------------------------------------


def expected_score(rating: float, opponent: float) -> float:
    return 1.0 / (1.0 + 10.0 ** ((opponent - rating) / 400.0))


def submission_score(submission: Submission) -> float:
    """1 for Accepted, otherwise the share of hidden tests passed."""
    if submission.verdict == Submission.Verdict.ACCEPTED:
        return 1.0
    if not submission.total:
        return 0.0
    return min(1.0, submission.passed / submission.total)


def rating_apply_submission(submission_id: int) -> list[RatingChange]:
    """Rate a judged Submit on every topic of its problem (idempotent). Runs, and problems the
    learner had already solved by an earlier Submit, do not move the rating."""
    with transaction.atomic():
        submission = (
            Submission.objects.select_related("problem")
            .filter(pk=submission_id, mode=Submission.Mode.SUBMIT, status=Submission.Status.DONE)
            .first()
        )
        if submission is None or submission.verdict in UNRATED_VERDICTS:
            return []
        solved_before = Submission.objects.filter(
            user_id=submission.user_id,
            problem_id=submission.problem_id,
            mode=Submission.Mode.SUBMIT,
            verdict=Submission.Verdict.ACCEPTED,
            pk__lt=submission.pk,
        ).exists()
        if solved_before:
            return []
        # One rating update at a time per learner: lock their row.
        User.objects.select_for_update().filter(pk=submission.user_id).first()
        opponent = PROBLEM_RATINGS.get(submission.problem.difficulty, PROBLEM_RATINGS["medium"])
        score = submission_score(submission)
        k = conf.get("PRACTICE_RATING_K")
        changes = []
        for topic in submission.problem.topics.all():
            if RatingChange.objects.filter(submission=submission, topic=topic).exists():
                continue
            rating, _ = PracticeRating.objects.get_or_create(
                user_id=submission.user_id, topic=topic
            )
            expected = expected_score(rating.rating, opponent)
            before = rating.rating
            rating.rating = before + k * (score - expected)
            rating.games += 1
            rating.save(update_fields=["rating", "games", "updated_at"])
            changes.append(
                RatingChange.objects.create(
                    submission=submission,
                    user_id=submission.user_id,
                    topic=topic,
                    score=score,
                    expected=expected,
                    before=before,
                    after=rating.rating,
                )
            )
    return changes


def topic_rating(user: User, topic: PracticeTopic) -> float:
    value = (
        PracticeRating.objects.filter(user=user, topic=topic)
        .values_list("rating", flat=True)
        .first()
    )
    return START_RATING if value is None else value


# --- the queue ------------------------------------------------------------------------------


def rating_window(waited_seconds: float) -> float:
    """How far apart two ratings may be after ``waited_seconds`` of waiting."""
    step_seconds = max(conf.get("PARTNERS_WINDOW_STEP_SECONDS"), 1.0)
    steps = int(max(waited_seconds, 0.0) // step_seconds)
    return min(
        conf.get("PARTNERS_WINDOW_BASE") + steps * conf.get("PARTNERS_WINDOW_STEP"),
        conf.get("PARTNERS_WINDOW_MAX"),
    )


def users_in_live_sessions(user_ids: set[int]) -> set[int]:
    """Who of ``user_ids`` is host or guest of a waiting or active practice session."""
    if not user_ids:
        return set()
    rows = PracticeSession.objects.filter(
        Q(host_id__in=user_ids) | Q(guest_id__in=user_ids),
        status__in=[PracticeSession.Status.WAITING, PracticeSession.Status.ACTIVE],
    ).values_list("host_id", "guest_id")
    busy = {uid for pair in rows for uid in pair if uid is not None}
    return busy & user_ids


def requests_expire(now: datetime | None = None) -> int:
    """Mark waiting entries past their expiry as expired."""
    now = now or timezone.now()
    return PartnerRequest.objects.filter(
        status=PartnerRequest.Status.WAITING, expires_at__lte=now
    ).update(status=PartnerRequest.Status.EXPIRED, ended_at=now)


def request_join(*, actor: User, topic: str, difficulty: str) -> PartnerRequest:
    """Ask for a partner on ``topic`` (a practice topic's slug) at ``difficulty``. A learner has
    one waiting entry: asking again for the same keeps it, for something else replaces it.
    Matching runs at once; a retry task keeps trying while the window widens."""
    if difficulty not in Difficulty.values:
        raise Invalid("Choose easy, medium or hard.", code="difficulty", field="difficulty")
    topic_obj = PracticeTopic.objects.filter(slug=topic).first()
    if topic_obj is None:
        raise Invalid("Choose a topic.", code="topic", field="topic")
    has_problem = Problem.objects.filter(
        is_published=True, difficulty=difficulty, topics=topic_obj
    ).exists()
    if not has_problem:
        raise Invalid(
            "No problem matches that difficulty and topic.", code="no_problem", field="topic"
        )
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()  # one join at a time
        requests_expire(now)
        current = PartnerRequest.objects.filter(
            user=actor, status=PartnerRequest.Status.WAITING
        ).first()
        if current is not None:
            if current.topic_id == topic_obj.pk and current.difficulty == difficulty:
                return current
            current.status = PartnerRequest.Status.LEFT
            current.ended_at = now
            current.save(update_fields=["status", "ended_at"])
            _announce_queue(current.topic_id, current.difficulty)
        entry = PartnerRequest.objects.create(
            user=actor,
            topic=topic_obj,
            difficulty=difficulty,
            rating=topic_rating(actor, topic_obj),
            created_at=now,
            expires_at=now + timedelta(seconds=conf.get("PARTNERS_QUEUE_TTL_SECONDS")),
        )
    match_queue(topic_id=topic_obj.pk, difficulty=difficulty)
    entry.refresh_from_db()
    if entry.status == PartnerRequest.Status.WAITING:
        _announce_queue(entry.topic_id, entry.difficulty)
        _schedule_retry(entry)
    return entry


def request_leave(*, actor: User) -> PartnerRequest | None:
    """Leave the queue; returns the entry left, or None when the learner was not waiting."""
    with transaction.atomic():
        entry = (
            PartnerRequest.objects.select_for_update(of=("self",))
            .filter(user=actor, status=PartnerRequest.Status.WAITING)
            .first()
        )
        if entry is None:
            return None
        entry.status = PartnerRequest.Status.LEFT
        entry.ended_at = timezone.now()
        entry.save(update_fields=["status", "ended_at"])
        _announce_queue(entry.topic_id, entry.difficulty)
    return entry


def request_retry(request_id: int) -> str:
    """The retry task: match the entry's queue again (its window has widened), and come back
    later while it still waits; an entry past its expiry is expired instead."""
    entry = PartnerRequest.objects.filter(pk=request_id).first()
    if entry is None or entry.status != PartnerRequest.Status.WAITING:
        return "done"
    now = timezone.now()
    if entry.expires_at <= now:
        requests_expire(now)
        _announce_queue(entry.topic_id, entry.difficulty)
        return "expired"
    match_queue(topic_id=entry.topic_id, difficulty=entry.difficulty, now=now)
    entry.refresh_from_db()
    if entry.status == PartnerRequest.Status.WAITING:
        _schedule_retry(entry, now=now)
    return entry.status


def _schedule_retry(entry: PartnerRequest, now: datetime | None = None) -> None:
    from . import tasks

    now = now or timezone.now()
    step = timedelta(seconds=max(conf.get("PARTNERS_WINDOW_STEP_SECONDS"), 1.0))
    run_after = min(now + step, entry.expires_at)
    tasks.match_request.using(run_after=run_after).enqueue(entry.pk)


def match_queue(
    *, topic_id: int, difficulty: str, now: datetime | None = None
) -> list[PracticeSession]:
    """Pair the waiting entries of one queue; returns the sessions made.

    Entries are locked with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL), so concurrent
    matchers skip each other's entries; every pair is also claimed with a conditional update
    (``status='waiting'`` → ``matched``, both rows or neither), which keeps a pair from being
    matched twice on SQLite, where the lock is a no-op."""
    now = now or timezone.now()
    requests_expire(now)
    sessions: list[PracticeSession] = []
    with transaction.atomic():
        entries = list(
            PartnerRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user", "topic")
            .filter(
                status=PartnerRequest.Status.WAITING,
                topic_id=topic_id,
                difficulty=difficulty,
                expires_at__gt=now,
            )
            .order_by("created_at", "id")
        )
        busy = users_in_live_sessions({e.user_id for e in entries})
        free = [e for e in entries if e.user_id not in busy]
        paired: set[int] = set()
        for index, first in enumerate(free):
            if first.pk in paired:
                continue
            first_window = rating_window((now - first.created_at).total_seconds())
            for second in free[index + 1 :]:
                if second.pk in paired or second.user_id == first.user_id:
                    continue
                window = max(first_window, rating_window((now - second.created_at).total_seconds()))
                if abs(first.rating - second.rating) > window:
                    continue
                try:
                    session = _pair(first, second, now)
                except ServiceError as exc:
                    # No problem fits (the bank changed since they joined): nobody in this
                    # queue can be paired now; they wait, and expire.
                    logger.warning("partner pairing failed: %s", exc)
                    return sessions
                if session is not None:
                    paired |= {first.pk, second.pk}
                    sessions.append(session)
                break
        if sessions:
            _announce_queue(topic_id, difficulty)
    return sessions


def _pair(first: PartnerRequest, second: PartnerRequest, now: datetime) -> PracticeSession | None:
    """Claim both entries and put the two learners in a new private session (``first`` hosts)."""
    with transaction.atomic():  # a savepoint: a failed pairing leaves both entries waiting
        claimed = PartnerRequest.objects.filter(
            pk__in=[first.pk, second.pk], status=PartnerRequest.Status.WAITING
        ).update(status=PartnerRequest.Status.MATCHED, ended_at=now)
        if claimed != 2:
            transaction.set_rollback(True)
            return None
        problem = practice_services.random_problem(
            difficulty=first.difficulty, topic=first.topic.slug, exclude_solved_by=first.user
        )
        password = secrets.token_urlsafe(18)
        session = practice_services.session_create(
            actor=first.user, problem=problem, visibility="private", password=password
        )
        session = practice_services.session_join(
            actor=second.user, uid=str(session.uid), password=password
        )
        PartnerRequest.objects.filter(pk=first.pk).update(partner=second.user, session=session)
        PartnerRequest.objects.filter(pk=second.pk).update(partner=first.user, session=session)
        url = reverse("practice:session", kwargs={"uid": session.uid})
        for me, other in ((first, second), (second, first)):
            event: events.MatchedEvent = {
                "type": "matched",
                "request": me.pk,
                "url": url,
                "partner": other.user.display_name,
            }
            broadcast(events.user_group(me.user_id), event)
    return session


def _announce_queue(topic_id: int, difficulty: str) -> None:
    """Tell everyone waiting in the queue that their place may have moved."""
    event: events.QueueEvent = {"type": "queue"}
    waiting = PartnerRequest.objects.filter(
        status=PartnerRequest.Status.WAITING, topic_id=topic_id, difficulty=difficulty
    ).values_list("user_id", flat=True)
    for user_id in waiting:
        broadcast(events.user_group(user_id), event)
