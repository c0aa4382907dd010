"""Reads for help requests. ``access_*`` fetch with the permission check and raise ``NotFound``
for anything the user may not see: a request is the learner's alone; an offer is the asked
tutor's alone."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from peerlearn.accounts.models import User
from peerlearn.common.errors import NotFound

from .models import HelpOffer, HelpRequest


def _offers() -> Prefetch:
    return Prefetch(
        "offers",
        queryset=HelpOffer.objects.select_related("tutor", "tutor__profile").order_by(
            "round", "rank", "pk"
        ),
    )


def requests_of(*, user: User) -> QuerySet[HelpRequest]:
    return (
        HelpRequest.objects.filter(learner=user)
        .select_related("subject", "accepted_by", "accepted_by__profile", "booking")
        .prefetch_related(_offers())
    )


def access_help_request(*, user: User, request_id: int) -> HelpRequest:
    if not user.is_authenticated:
        raise NotFound("No such help request.")
    request = requests_of(user=user).filter(pk=request_id).first()
    if request is None:
        raise NotFound("No such help request.")
    return request


def offers_for(*, user: User) -> QuerySet[HelpOffer]:
    """A tutor's offers, newest first."""
    return (
        HelpOffer.objects.filter(tutor=user)
        .select_related(
            "request", "request__subject", "request__learner", "request__learner__profile"
        )
        .order_by("-offered_at", "-pk")
    )


def access_help_offer(*, user: User, offer_id: int) -> HelpOffer:
    if not user.is_authenticated:
        raise NotFound("No such offer.")
    offer = offers_for(user=user).filter(pk=offer_id).first()
    if offer is None:
        raise NotFound("No such offer.")
    return offer
