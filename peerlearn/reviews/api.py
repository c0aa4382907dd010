"""Reviews endpoints of the JSON API: my pending/written/received reviews, a booking's reviews,
submit and edit, report, moderator hide and queue, and a person's rating aggregate.

Adapters only. The blind rule is the selectors': a booking's reviews list only the caller's own
and, once revealed, those about them; ``GET /reviews/{id}`` answers 404 for a review the caller
may not read yet (the same answer as for one that does not exist).
"""

# No ``from __future__ import annotations``: ninja reads annotations at import time (see
# scheduling/api.py).
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from peerlearn.accounts import selectors as accounts_selectors
from peerlearn.accounts.requests import context_user
from peerlearn.api.auth import request_user
from peerlearn.api.helpers import ok
from peerlearn.api.pages import Page

from . import selectors, services
from .models import ALL_DIMENSIONS, COMMENT_MAX, HIDE_REASON_MAX, REPORT_REASON_MAX, Review

router = Router(tags=["reviews"])
public = Router(tags=["reviews"], auth=None)
router.add_router("", public)


class PersonOut(Schema):
    id: int
    display_name: str


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "display_name": user.display_name}


def _is_author(review: Review, context: dict[str, Any] | None) -> bool:
    viewer = context_user(context)
    return viewer is not None and review.author_id == viewer.pk


class ReviewOut(Schema):
    """One review as the caller may see it (operations only return reviews the caller may
    read: the selectors decide)."""

    id: int
    booking_id: int
    author: PersonOut
    subject: PersonOut
    direction: str = Field(description="of_tutor (learner → tutor) or of_learner")
    scores: dict[str, int]
    overall: float
    comment: str = Field(description="Plain text: escape it when showing it as HTML")
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    editable_until: datetime | None = Field(
        None, description="Until when the author may edit it; null once that is over or for others"
    )
    revealed: bool = False
    hidden: bool = False
    hidden_reason: str = Field("", description="Why a moderator hid it (its author only)")

    @staticmethod
    def resolve_editable_until(obj: Review, context: dict[str, Any]) -> datetime | None:
        mine = _is_author(obj, context)
        return obj.edit_until if mine and selectors.can_edit(obj) else None

    @staticmethod
    def resolve_revealed(obj: Review) -> bool:
        return selectors.is_revealed(obj)

    @staticmethod
    def resolve_hidden(obj: Review) -> bool:
        return obj.is_hidden

    @staticmethod
    def resolve_hidden_reason(obj: Review, context: dict[str, Any]) -> str:
        return obj.hidden_reason if _is_author(obj, context) else ""


class ReviewIn(Schema):
    subject_id: int | None = Field(
        None, description="Whom you review; a learner may leave it out (the tutor)"
    )
    clarity: int | None = Field(None, description="Learner → tutor, 1–5")
    knowledge: int | None = Field(None, description="Learner → tutor, 1–5")
    patience: int | None = Field(None, description="Learner → tutor, 1–5")
    punctuality: int | None = Field(None, description="Learner → tutor, 1–5")
    preparedness: int | None = Field(None, description="Tutor → learner, 1–5")
    engagement: int | None = Field(None, description="Tutor → learner, 1–5")
    comment: str = Field("", max_length=COMMENT_MAX)
    tags: list[str] = Field(default_factory=list, description="Slugs from the fixed list")

    def scores(self) -> dict[str, int]:
        return {
            name: getattr(self, name) for name in ALL_DIMENSIONS if getattr(self, name) is not None
        }


class PendingOut(Schema):
    booking_id: int
    subject: PersonOut
    subject_name: str = Field(description="The session's subject (topic)")
    starts_at: datetime
    due_until: datetime


class ReportIn(Schema):
    reason: str = Field(max_length=REPORT_REASON_MAX)


class ReportOut(Schema):
    id: int
    review_id: int
    created_at: datetime


class HideIn(Schema):
    reason: str = Field(max_length=HIDE_REASON_MAX)


class TrendOut(Schema):
    month: str = Field(description="YYYY-MM (UTC)")
    average: float | None
    count: int


class CommentOut(Schema):
    review_id: int
    author_name: str
    created_at: datetime
    comment: str
    tags: list[str]
    overall: float


class TutorRatingOut(Schema):
    bayesian: float = Field(description="(C·m + Σ overall) / (C + n); see docs/reviews.md")
    count: int
    average: float | None
    per_dimension: dict[str, float | None]
    trend: list[TrendOut]
    recent: list[CommentOut]
    prior: float
    prior_weight: int


class LearnerRatingOut(Schema):
    count: int
    per_dimension: dict[str, float | None]


class RatingOut(Schema):
    user_id: int
    as_tutor: TutorRatingOut
    as_learner: LearnerRatingOut


class ReviewQueueItemOut(ReviewOut):
    open_reports: int
    reasons: list[str]

    @staticmethod
    def resolve_reasons(obj: Review) -> list[str]:
        return [r.reason for r in obj.reports.all() if r.resolved_at is None]


# --- mine ---------------------------------------------------------------------------------------


@router.get(
    "/me/reviews/pending",
    response=ok(list[PendingOut]),
    summary="Reviews I can still write, soonest deadline first",
)
def my_pending(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "booking_id": p.booking.pk,
            "subject": _person(p.subject),
            "subject_name": p.booking.subject.name,
            "starts_at": p.booking.starts_at,
            "due_until": p.due_until,
        }
        for p in selectors.pending_for(request_user(request))
    ]


@router.get("/me/reviews/written", response=ok(list[ReviewOut]), summary="Reviews I wrote")
@paginate(Page)
def my_written(request: HttpRequest) -> Any:
    return selectors.written_by(request_user(request))


@router.get(
    "/me/reviews/received",
    response=ok(list[ReviewOut]),
    summary="Reviews about me I may read (revealed, not hidden)",
)
@paginate(Page)
def my_received(request: HttpRequest) -> Any:
    return selectors.received_by(request_user(request))


# --- a booking's reviews ------------------------------------------------------------------------


@router.get(
    "/bookings/{int:booking_id}/reviews",
    response=ok(list[ReviewOut]),
    summary="A completed session's reviews I may read: mine, and those about me once revealed",
)
def booking_reviews(request: HttpRequest, booking_id: int) -> list[Review]:
    user = request_user(request)
    booking = selectors.access_reviewable_booking(user=user, booking_id=booking_id)
    return selectors.for_booking(user, booking)


@router.post(
    "/bookings/{int:booking_id}/reviews",
    response=ok(ReviewOut, 201),
    summary="Review the other side of a completed session",
)
def review_create(request: HttpRequest, booking_id: int, payload: ReviewIn) -> Any:
    """Learner → tutor: clarity, knowledge, patience, punctuality; tutor → learner (name the
    learner in ``subject_id``): preparedness, engagement. Scores 1–5; 409 ``already_reviewed``,
    ``window_closed``."""
    user = request_user(request)
    review = services.review_submit(
        actor=user,
        booking_id=booking_id,
        subject_id=payload.subject_id,
        scores=payload.scores(),
        comment=payload.comment,
        tags=payload.tags,
    )
    return Status(201, selectors.access_review(user=user, review_id=review.pk))


@router.get("/reviews/{int:review_id}", response=ok(ReviewOut), summary="One review")
def review_get(request: HttpRequest, review_id: int) -> Review:
    return selectors.access_review(user=request_user(request), review_id=review_id)


@router.put(
    "/reviews/{int:review_id}",
    response=ok(ReviewOut),
    summary="Edit my review (48 hours after submitting, until it is revealed)",
)
def review_update(request: HttpRequest, review_id: int, payload: ReviewIn) -> Review:
    user = request_user(request)
    services.review_edit(
        actor=user,
        review_id=review_id,
        scores=payload.scores(),
        comment=payload.comment,
        tags=payload.tags,
    )
    return selectors.access_review(user=user, review_id=review_id)


# --- reports and moderation ---------------------------------------------------------------------


@router.post(
    "/reviews/{int:review_id}/report",
    response=ok(ReportOut, 201),
    summary="Report an abusive review (rate-limited)",
)
def review_report(request: HttpRequest, review_id: int, payload: ReportIn) -> Any:
    report = services.review_report(
        actor=request_user(request), review_id=review_id, reason=payload.reason
    )
    return Status(
        201, {"id": report.pk, "review_id": report.review_id, "created_at": report.created_at}
    )


@router.post(
    "/reviews/{int:review_id}/hide",
    response=ok(ReviewOut),
    summary="Moderators: hide a review, with a reason",
)
def review_hide(request: HttpRequest, review_id: int, payload: HideIn) -> Review:
    user = request_user(request)
    services.review_hide(actor=user, review_id=review_id, reason=payload.reason)
    return selectors.access_review(user=user, review_id=review_id)


@router.get(
    "/moderation/reviews",
    response=ok(list[ReviewQueueItemOut]),
    summary="Moderators: reviews with open reports",
)
def moderation_queue(request: HttpRequest) -> list[Review]:
    return list(selectors.with_reveal(selectors.moderation_queue(actor=request_user(request))))


# --- aggregates ---------------------------------------------------------------------------------


@public.get(
    "/users/{int:user_id}/rating",
    response=ok(RatingOut),
    summary="A person's ratings: as a tutor (Bayesian average, dimensions, trend, comments) "
    "and as a learner (aggregate only)",
)
def user_rating(request: HttpRequest, user_id: int) -> dict[str, Any]:
    person = accounts_selectors.user_get_public(user_id=user_id)
    tutor = selectors.tutor_rating(person)
    learner = selectors.learner_rating(person)
    return {
        "user_id": person.pk,
        "as_tutor": {
            "bayesian": tutor.bayesian,
            "count": tutor.count,
            "average": tutor.average,
            "per_dimension": tutor.per_dimension,
            "trend": [
                {"month": p.month.strftime("%Y-%m"), "average": p.average, "count": p.count}
                for p in tutor.trend
            ],
            "recent": [c.__dict__ for c in tutor.recent],
            "prior": tutor.prior,
            "prior_weight": tutor.prior_weight,
        },
        "as_learner": {"count": learner.count, "per_dimension": learner.per_dimension},
    }
