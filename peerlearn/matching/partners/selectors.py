"""Reads for practice partners: the learner's queue status (place, expected wait), the topics
and difficulties one can ask for, and ratings."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.practice.models import PracticeTopic

from . import conf
from .models import PartnerRequest, PracticeRating
from .services import rating_window, users_in_live_sessions


@dataclass
class QueueStatus:
    request: PartnerRequest | None
    #: none | waiting | matched | left | expired
    state: str
    place: int | None = None
    waiting_count: int | None = None
    expected_wait_seconds: float | None = None
    window: float | None = None
    in_session: bool = False
    session_url: str | None = None


def latest_request(*, user: User) -> PartnerRequest | None:
    return (
        PartnerRequest.objects.select_related("topic", "partner", "session")
        .filter(user=user)
        .order_by("-created_at", "-id")
        .first()
    )


def request_for(*, user: User, request_id: int) -> PartnerRequest | None:
    return (
        PartnerRequest.objects.select_related("topic", "partner", "session")
        .filter(user=user, pk=request_id)
        .first()
    )


def expected_wait_seconds(*, topic_id: int, difficulty: str) -> float | None:
    """The median wait of the queue's recent matches (any queue's, when it has none yet)."""
    count = int(conf.get("PARTNERS_RECENT_WAITS"))
    matched = PartnerRequest.objects.filter(
        status=PartnerRequest.Status.MATCHED, ended_at__isnull=False
    ).order_by("-ended_at")
    for items in (matched.filter(topic_id=topic_id, difficulty=difficulty), matched):
        waits = [r.wait_seconds or 0.0 for r in items.only("created_at", "ended_at")[:count]]
        if waits:
            return statistics.median(waits)
    return None


def queue_status(
    *, user: User, request: PartnerRequest | None = None, now: datetime | None = None
) -> QueueStatus:
    now = now or timezone.now()
    request = request or latest_request(user=user)
    if request is None:
        return QueueStatus(request=None, state="none")
    state = request.status
    if state == PartnerRequest.Status.WAITING and request.expires_at <= now:
        state = PartnerRequest.Status.EXPIRED
    status = QueueStatus(request=request, state=state)
    if state == PartnerRequest.Status.MATCHED and request.session is not None:
        status.session_url = reverse("practice:session", kwargs={"uid": request.session.uid})
    if state != PartnerRequest.Status.WAITING:
        return status
    queue = PartnerRequest.objects.filter(
        status=PartnerRequest.Status.WAITING,
        topic_id=request.topic_id,
        difficulty=request.difficulty,
        expires_at__gt=now,
    )
    status.waiting_count = queue.count()
    ahead = Q(created_at__lt=request.created_at) | Q(
        created_at=request.created_at, pk__lt=request.pk
    )
    status.place = queue.filter(ahead).count() + 1
    status.expected_wait_seconds = expected_wait_seconds(
        topic_id=request.topic_id, difficulty=request.difficulty
    )
    status.window = rating_window((now - request.created_at).total_seconds())
    status.in_session = bool(users_in_live_sessions({user.pk}))
    return status


def topics() -> QuerySet[PracticeTopic]:
    """Topics that have at least one published problem."""
    return PracticeTopic.objects.filter(problems__is_published=True).distinct()


def ratings(*, user: User) -> QuerySet[PracticeRating]:
    return PracticeRating.objects.select_related("topic").filter(user=user)
