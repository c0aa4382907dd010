"""Help-request endpoints of the JSON API (tag "help").

Learner: create, list mine, get one (with who was asked and how they answered), cancel.
Tutor: list my offers, accept, decline. A request is visible to its learner alone, an offer to
its tutor alone (anyone else gets the same 404 as for none). Adapters only.
"""

# No ``from __future__ import annotations``: ninja reads annotations at import time.
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from peerlearn.api.auth import request_user
from peerlearn.api.helpers import ok

from . import selectors, services
from .models import HelpOffer, HelpRequest

router = Router(tags=["help"])


class HelpRequestIn(Schema):
    subject_id: int
    description: str = Field(max_length=services.DESCRIPTION_MAX)
    starts_at: datetime = Field(description="With its offset, e.g. 2027-03-03T10:00:00+01:00")
    duration_minutes: int = Field(description="30, 45, 60 or 90")


class OfferOut(Schema):
    id: int
    tutor_id: int
    tutor_name: str
    round: int
    rank: int
    explanation: str
    status: str
    offered_at: datetime
    responded_at: datetime | None
    response_seconds: int | None

    @staticmethod
    def resolve_tutor_name(obj: HelpOffer) -> str:
        return obj.tutor.display_name


class HelpRequestOut(Schema):
    id: int
    subject_id: int
    subject: str
    description: str
    starts_at: datetime
    duration_minutes: int
    status: str
    round: int
    round_ends_at: datetime
    accepted_by_id: int | None
    booking_id: int | None
    created_at: datetime
    closed_at: datetime | None
    offers: list[OfferOut]

    @staticmethod
    def resolve_subject(obj: HelpRequest) -> str:
        return obj.subject.name

    @staticmethod
    def resolve_offers(obj: HelpRequest) -> list[HelpOffer]:
        return list(obj.offers.all())


class TutorOfferOut(Schema):
    """An offer as its tutor sees it: the request's details, not the other tutors."""

    id: int
    request_id: int
    learner_name: str
    subject: str
    description: str
    starts_at: datetime
    duration_minutes: int
    status: str
    request_status: str
    offered_at: datetime
    responded_at: datetime | None
    booking_id: int | None

    @staticmethod
    def resolve_learner_name(obj: HelpOffer) -> str:
        return obj.request.learner.display_name

    @staticmethod
    def resolve_subject(obj: HelpOffer) -> str:
        return obj.request.subject.name

    @staticmethod
    def resolve_description(obj: HelpOffer) -> str:
        return obj.request.description

    @staticmethod
    def resolve_starts_at(obj: HelpOffer) -> datetime:
        return obj.request.starts_at

    @staticmethod
    def resolve_duration_minutes(obj: HelpOffer) -> int:
        return obj.request.duration_minutes

    @staticmethod
    def resolve_request_status(obj: HelpOffer) -> str:
        return obj.request.status

    @staticmethod
    def resolve_booking_id(obj: HelpOffer) -> int | None:
        return obj.request.booking_id if obj.status == HelpOffer.Status.ACCEPTED else None


class DeclineIn(Schema):
    reason: str = Field("", max_length=300)


@router.post("/help-requests", response=ok(HelpRequestOut, 201), summary="Ask for help")
def help_request_create(request: HttpRequest, body: HelpRequestIn) -> Any:
    """Offered at once to the top N matching tutors; the first to accept gets it (a confirmed
    booking). Unanswered, it widens to the next tutors after a timeout, then expires."""
    user = request_user(request)
    created = services.help_request_create(
        actor=user,
        subject_id=body.subject_id,
        description=body.description,
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
    )
    return Status(201, selectors.access_help_request(user=user, request_id=created.pk))


@router.get("/help-requests", response=ok(list[HelpRequestOut]), summary="My help requests")
def help_requests_list(request: HttpRequest) -> list[HelpRequest]:
    return list(selectors.requests_of(user=request_user(request))[:100])


@router.get(
    "/help-requests/{int:request_id}",
    response=ok(HelpRequestOut),
    summary="One of my help requests, with who was asked and how they answered",
)
def help_request_get(request: HttpRequest, request_id: int) -> HelpRequest:
    return selectors.access_help_request(user=request_user(request), request_id=request_id)


@router.post(
    "/help-requests/{int:request_id}/cancel", response=ok(HelpRequestOut), summary="Cancel"
)
def help_request_cancel(request: HttpRequest, request_id: int) -> HelpRequest:
    user = request_user(request)
    services.help_request_cancel(actor=user, request_id=request_id)
    return selectors.access_help_request(user=user, request_id=request_id)


@router.get("/help-offers", response=ok(list[TutorOfferOut]), summary="Offers made to me")
def help_offers_list(request: HttpRequest, pending: bool = False) -> list[HelpOffer]:
    offers = selectors.offers_for(user=request_user(request))
    if pending:
        offers = offers.filter(
            status=HelpOffer.Status.PENDING, request__status=HelpRequest.Status.OPEN
        )
    return list(offers[:100])


@router.post(
    "/help-offers/{int:offer_id}/accept",
    response=ok(TutorOfferOut),
    summary="Take the request (409 taken / unavailable / offer_closed)",
)
def help_offer_accept(request: HttpRequest, offer_id: int) -> HelpOffer:
    user = request_user(request)
    services.help_offer_accept(actor=user, offer_id=offer_id)
    return selectors.access_help_offer(user=user, offer_id=offer_id)


@router.post("/help-offers/{int:offer_id}/decline", response=ok(TutorOfferOut), summary="Decline")
def help_offer_decline(request: HttpRequest, offer_id: int, body: DeclineIn) -> HelpOffer:
    user = request_user(request)
    services.help_offer_decline(actor=user, offer_id=offer_id, reason=body.reason)
    return selectors.access_help_offer(user=user, offer_id=offer_id)
