"""Group names and event shapes of the help-request sockets.

- ``/ws/help/<request_id>/``: the learner watching one request (who was asked, who answered);
- ``/ws/help/offers/``: a tutor's incoming offers (new offer, taken, cancelled, expired).

Events only say what changed; the pages then reload their partial (HTMX), which is also polled
every few seconds as a fallback.
"""

from __future__ import annotations

from typing import Literal, TypedDict


def request_group(request_id: int) -> str:
    return f"help.request.{request_id}"


def tutor_group(user_id: int) -> str:
    return f"help.tutor.{user_id}"


class RequestEvent(TypedDict):
    """Sent to the learner's request group."""

    type: Literal["help.request"]
    request: int
    status: str
    round: int
    change: str  # "offered", "accepted", "declined", "unavailable", "cancelled", "expired"
    tutor: int | None


class OfferEvent(TypedDict):
    """Sent to a tutor's group about one of their offers."""

    type: Literal["help.offer"]
    offer: int
    request: int
    status: str
