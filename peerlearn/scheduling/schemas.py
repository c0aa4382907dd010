"""API input and output shapes for scheduling: slots, bookings, group sessions, policy, feeds.

Times go out in UTC (``starts_at``, ``ends_at``) and, next to them, in the caller's own time zone
(``starts_at_local``, ``ends_at_local``, with ``timezone`` naming the zone). Times come in as
ISO 8601 with an offset; a time without one is refused rather than guessed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Field, Schema

from peerlearn.accounts.models import User
from peerlearn.accounts.requests import context_user
from peerlearn.accounts.schemas import SubjectRef
from peerlearn.accounts.services import profile_ensure
from peerlearn.api.pages import json_time

from .models import Booking, BookingEvent, RescheduleProposal, TimeClaim
from .selectors import allowed_actions, learner_claims, pending_proposal

Status = Booking.Status

# --- the caller's zone ------------------------------------------------------------------------

_VIEWER_TZ_ATTR = "_peerlearn_viewer_tz"


def viewer_zone(request: HttpRequest) -> ZoneInfo:
    """The signed-in caller's profile time zone, looked up once per request."""
    cached = getattr(request, _VIEWER_TZ_ATTR, None)
    if isinstance(cached, ZoneInfo):
        return cached
    user = request.user
    name = profile_ensure(user=user).timezone if isinstance(user, User) else "UTC"
    zone = ZoneInfo(name or "UTC")
    setattr(request, _VIEWER_TZ_ATTR, zone)
    return zone


def _zone(context: dict[str, Any] | None) -> ZoneInfo:
    request = (context or {}).get("request")
    return viewer_zone(request) if request is not None else ZoneInfo("UTC")


def in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


class Timed(Schema):
    """A period, in UTC and in the caller's zone."""

    starts_at: datetime = Field(description="UTC")
    ends_at: datetime = Field(description="UTC")
    timezone: str = Field(description="The caller's time zone (from their profile)")
    starts_at_local: datetime = Field(description="The start in the caller's time zone")
    ends_at_local: datetime = Field(description="The end in the caller's time zone")

    @staticmethod
    def resolve_starts_at(obj: Any) -> datetime:
        return in_utc(obj.starts_at)

    @staticmethod
    def resolve_ends_at(obj: Any) -> datetime:
        return in_utc(obj.ends_at)

    @staticmethod
    def resolve_timezone(obj: Any, context: dict[str, Any]) -> str:
        return _zone(context).key

    @staticmethod
    def resolve_starts_at_local(obj: Any, context: dict[str, Any]) -> datetime:
        return obj.starts_at.astimezone(_zone(context))

    @staticmethod
    def resolve_ends_at_local(obj: Any, context: dict[str, Any]) -> datetime:
        return obj.ends_at.astimezone(_zone(context))


# --- people -----------------------------------------------------------------------------------


class PersonRef(Schema):
    id: int
    display_name: str


# --- slots ------------------------------------------------------------------------------------


class SlotOut(Schema):
    starts_at: datetime = Field(description="UTC")
    ends_at: datetime = Field(description="UTC")
    starts_at_local: datetime = Field(description="In the zone the slots are shown in")
    ends_at_local: datetime


class SlotDayOut(Schema):
    date: date  # a day in the zone the slots are shown in
    slots: list[SlotOut]


class SlotsOut(Schema):
    tutor_id: int
    subject_id: int | None
    duration_minutes: int
    timezone: str = Field(description="The zone days and local times are in")
    both_free: bool = Field(description="Only times when the caller is free too")
    days: list[SlotDayOut]


# --- bookings ---------------------------------------------------------------------------------


class BookingIn(Schema):
    tutor_id: int
    subject_id: int
    starts_at: datetime = Field(description="ISO 8601 with an offset, e.g. 2027-03-03T11:00+01:00")
    duration_minutes: int = Field(description="30, 45, 60 or 90")
    note: str = Field("", max_length=500, description="The tutor sees this with the request")


class SeriesIn(Schema):
    tutor_id: int
    subject_id: int
    first_starts_at: datetime = Field(
        description="The first session; the others follow weekly at the same wall-clock time "
        "in the tutor's time zone"
    )
    duration_minutes: int = Field(description="30, 45, 60 or 90")
    occurrences: int = Field(description="2 to 26")
    note: str = Field("", max_length=500)


class ReasonIn(Schema):
    reason: str = Field(max_length=500, description="The other side sees this")


class CounterIn(Schema):
    starts_at: datetime = Field(description="The other time; the duration stays the same")
    note: str = Field("", max_length=500)


class RescheduleIn(Schema):
    starts_at: datetime = Field(description="The proposed new time; the duration stays the same")


class NoShowIn(Schema):
    absent_user_id: int


class RespondIn(Schema):
    accept: bool


class ProposalOut(Timed):
    """A proposal to move a confirmed session; the original time stands until it is accepted."""

    id: int
    booking_id: int
    status: RescheduleProposal.Status
    proposed_by: PersonRef
    created_at: datetime
    mine: bool = Field(description="The caller proposed it (the other side has to answer)")

    @staticmethod
    def resolve_mine(obj: RescheduleProposal, context: dict[str, Any]) -> bool:
        viewer = context_user(context)
        return viewer is not None and obj.proposed_by_id == viewer.pk


class EventOut(Schema):
    """One entry of the audit trail: who changed what, when and why."""

    action: str
    actor: PersonRef | None
    from_status: str
    to_status: str
    reason: str
    data: dict[str, Any]
    at: datetime

    @staticmethod
    def resolve_at(obj: BookingEvent) -> datetime:
        return in_utc(obj.at)


class BookingOut(Timed):
    id: int
    uid: str = Field(description="The stable calendar UID of the session")
    kind: Booking.Kind
    status: Booking.Status
    my_role: TimeClaim.Role = Field(description="The caller's side of the booking")
    tutor: PersonRef
    learners: list[PersonRef]
    subject: SubjectRef
    title: str
    note: str
    duration_minutes: int
    capacity: int
    sequence: int = Field(description="Grows with every change the calendars must learn about")
    cancelled_late: bool
    no_show_user_id: int | None
    series_id: int | None
    pending_reschedule: ProposalOut | None
    actions: list[str] = Field(description="What the caller may do now (see the action endpoints)")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_uid(obj: Booking) -> str:
        return f"{obj.uid}@peerlearn"

    @staticmethod
    def resolve_my_role(obj: Booking, context: dict[str, Any]) -> str:
        viewer = context_user(context)
        is_tutor = viewer is not None and obj.tutor_id == viewer.pk
        return TimeClaim.Role.TUTOR if is_tutor else TimeClaim.Role.LEARNER

    @staticmethod
    def resolve_learners(obj: Booking) -> list[User]:
        return [c.user for c in learner_claims(obj)]

    @staticmethod
    def resolve_pending_reschedule(obj: Booking) -> RescheduleProposal | None:
        return pending_proposal(obj)

    @staticmethod
    def resolve_actions(obj: Booking, context: dict[str, Any]) -> list[str]:
        return list(allowed_actions(obj, context_user(context)))

    @staticmethod
    def resolve_created_at(obj: Booking) -> datetime:
        return in_utc(obj.created_at)

    @staticmethod
    def resolve_updated_at(obj: Booking) -> datetime:
        return in_utc(obj.updated_at)


def _person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "display_name": user.display_name}


def booking_item(booking: Booking, request: HttpRequest) -> dict[str, Any]:
    """One ``BookingOut`` for the caller of ``request``, JSON-ready (``peerlearn.api.pages``):
    the same fields as the schema's resolvers, without validating each through it."""
    context = {"request": request}
    zone = viewer_zone(request)
    viewer = context_user(context)
    subject = booking.subject
    proposal = pending_proposal(booking)
    is_tutor = viewer is not None and booking.tutor_id == viewer.pk
    return {
        "starts_at": json_time(in_utc(booking.starts_at)),
        "ends_at": json_time(in_utc(booking.ends_at)),
        "timezone": zone.key,
        "starts_at_local": json_time(booking.starts_at.astimezone(zone)),
        "ends_at_local": json_time(booking.ends_at.astimezone(zone)),
        "id": booking.pk,
        "uid": BookingOut.resolve_uid(booking),
        "kind": booking.kind,
        "status": booking.status,
        "my_role": TimeClaim.Role.TUTOR if is_tutor else TimeClaim.Role.LEARNER,
        "tutor": _person(booking.tutor),
        "learners": [_person(c.user) for c in learner_claims(booking)],
        "subject": {
            "id": subject.pk,
            "name": subject.name,
            "slug": subject.slug,
            "kind": subject.kind,
            "parent_id": subject.parent_id,
        },
        "title": booking.title,
        "note": booking.note,
        "duration_minutes": booking.duration_minutes,
        "capacity": booking.capacity,
        "sequence": booking.sequence,
        "cancelled_late": booking.cancelled_late,
        "no_show_user_id": booking.no_show_user_id,
        "series_id": booking.series_id,
        "pending_reschedule": None
        if proposal is None
        else ProposalOut.model_validate(proposal, context=context).model_dump(),
        "actions": list(allowed_actions(booking, viewer)),
        "created_at": json_time(in_utc(booking.created_at)),
        "updated_at": json_time(in_utc(booking.updated_at)),
    }


class BookingDetailOut(BookingOut):
    events: list[EventOut] = Field(description="The history, oldest first")

    @staticmethod
    def resolve_events(obj: Booking) -> list[BookingEvent]:
        return list(obj.events.select_related("actor__profile"))


class OccurrenceOut(Schema):
    starts_at: datetime = Field(description="UTC")
    starts_at_local: datetime = Field(description="In the caller's time zone")
    booking_id: int | None = Field(description="Set when this occurrence was requested")
    error: str = Field(description="Why it was not, when it was not")


class SeriesOut(Schema):
    series_id: int
    timezone: str = Field(description="The caller's time zone")
    booked: int
    failed: int
    occurrences: list[OccurrenceOut]


# --- group sessions ---------------------------------------------------------------------------


class GroupSessionIn(Schema):
    subject_id: int
    starts_at: datetime = Field(description="ISO 8601 with an offset")
    duration_minutes: int = Field(description="30, 45, 60 or 90")
    capacity: int = Field(description="2 to 50 seats")
    title: str = Field("", max_length=120)


class GroupSessionOut(Timed):
    id: int
    status: Booking.Status
    tutor: PersonRef
    subject: SubjectRef
    title: str
    duration_minutes: int
    capacity: int
    seats_taken: int
    seats_left: int
    joined: bool = Field(description="The caller holds a seat")

    @staticmethod
    def resolve_seats_taken(obj: Booking) -> int:
        return _seats(obj)

    @staticmethod
    def resolve_seats_left(obj: Booking) -> int:
        return max(obj.capacity - _seats(obj), 0)

    @staticmethod
    def resolve_joined(obj: Booking, context: dict[str, Any]) -> bool:
        annotated = getattr(obj, "caller_joined", None)
        if annotated is not None:
            return bool(annotated)
        viewer = context_user(context)
        return viewer is not None and any(c.user_id == viewer.pk for c in _seat_claims(obj))


def _seat_claims(booking: Booking) -> list[TimeClaim]:
    return [c for c in booking.claims.all() if c.role == TimeClaim.Role.LEARNER and c.active]


def _seats(booking: Booking) -> int:
    annotated = getattr(booking, "seats_taken", None)
    return int(annotated) if annotated is not None else len(_seat_claims(booking))


# --- policy, calendar, reliability ------------------------------------------------------------


class TutorPolicyIn(Schema):
    buffer_before_minutes: int = Field(description="0 to 120")
    buffer_after_minutes: int = Field(description="0 to 120")
    min_notice_hours: int = Field(description="0 to 336")
    max_sessions_per_day: int = Field(description="1 to 24")
    horizon_weeks: int = Field(description="1 to 26: how far ahead learners can book")


class TutorPolicyOut(Schema):
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_hours: int
    max_sessions_per_day: int
    horizon_weeks: int


class CalendarFeedOut(Schema):
    url: str = Field(description="Private: anyone with it can read your sessions")
    webcal_url: str = Field(description="The same address for calendar apps that subscribe")


class ReliabilityOut(Schema):
    user_id: int
    sessions: int = Field(description="Finished or cancelled sessions")
    late_cancellations: int
    no_shows: int
    score: float = Field(description="Share of commitments kept, 0 to 1 (with a newcomer prior)")
    percent: int
