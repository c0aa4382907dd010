"""Practice-partner endpoints of the JSON API: join the queue, my status, leave, my ratings.
Adapters only."""

# No ``from __future__ import annotations``: ninja reads annotations at import time.
from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from peerlearn.api.auth import request_user
from peerlearn.api.helpers import ok

from . import selectors, services
from .selectors import QueueStatus

router = Router(tags=["partners"])


class QueueJoinIn(Schema):
    topic: str = Field(description="A practice topic's slug")
    difficulty: Literal["easy", "medium", "hard"]


class StatusOut(Schema):
    id: int | None = Field(default=None, description="The queue entry")
    state: str = Field(description="none, waiting, matched, left or expired")
    topic: str | None = None
    difficulty: str | None = None
    rating: float | None = Field(default=None, description="Your topic rating when you joined")
    created_at: datetime | None = None
    expires_at: datetime | None = None
    place: int | None = Field(default=None, description="1 = next to be matched")
    waiting_count: int | None = None
    expected_wait_seconds: float | None = Field(default=None, description="Median of recent waits")
    window: float | None = Field(default=None, description="Rating gap accepted now (±)")
    in_session: bool = False
    session_uid: str | None = None
    session_url: str | None = None
    partner: str | None = None


class PartnerRatingOut(Schema):
    topic: str
    topic_name: str
    rating: float
    games: int


def _status_out(status: QueueStatus) -> StatusOut:
    entry = status.request
    if entry is None:
        return StatusOut(state=status.state)
    return StatusOut(
        id=entry.pk,
        state=status.state,
        topic=entry.topic.slug,
        difficulty=entry.difficulty,
        rating=round(entry.rating, 1),
        created_at=entry.created_at,
        expires_at=entry.expires_at,
        place=status.place,
        waiting_count=status.waiting_count,
        expected_wait_seconds=status.expected_wait_seconds,
        window=status.window,
        in_session=status.in_session,
        session_uid=str(entry.session.uid) if status.session_url and entry.session else None,
        session_url=status.session_url,
        partner=entry.partner.display_name if entry.partner else None,
    )


@router.post(
    "/practice/partners/queue",
    response=ok(StatusOut, 201),
    summary="Ask for a practice partner (join the queue; matching runs at once)",
)
def join(request: HttpRequest, body: QueueJoinIn) -> Status[StatusOut]:
    user = request_user(request)
    entry = services.request_join(actor=user, topic=body.topic, difficulty=body.difficulty)
    return Status(201, _status_out(selectors.queue_status(user=user, request=entry)))


@router.get("/practice/partners/queue", response=ok(StatusOut), summary="My place in the queue")
def status(request: HttpRequest) -> StatusOut:
    return _status_out(selectors.queue_status(user=request_user(request)))


@router.delete("/practice/partners/queue", response=ok(StatusOut), summary="Leave the queue")
def leave(request: HttpRequest) -> StatusOut:
    user = request_user(request)
    services.request_leave(actor=user)
    return _status_out(selectors.queue_status(user=user))


@router.get(
    "/practice/partners/ratings", response=ok(list[PartnerRatingOut]), summary="My practice ratings"
)
def ratings(request: HttpRequest) -> list[PartnerRatingOut]:
    return [
        PartnerRatingOut(
            topic=r.topic.slug, topic_name=r.topic.name, rating=round(r.rating, 1), games=r.games
        )
        for r in selectors.ratings(user=request_user(request))
    ]
