"""JSON API for scheduling: bookable slots, the booking lifecycle, series, group sessions, the
tutor's booking policy, the private calendar feed and reliability.

Operations are adapters: parse, call a selector or a service, return. Every operation on one
booking first fetches it through ``access_booking``, so a stranger gets the same 404 as for a
booking that does not exist (never a 403 that would reveal it); a participant on the wrong side
then gets the service's 403, and a refused transition its 409.
"""

# No ``from __future__ import annotations`` here: ninja reads the parameter annotations of an
# operation at import time, and for @paginate-wrapped operations it resolves string annotations
# in ninja's own module, where ``datetime`` and the models do not exist.
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import P, QueryEx, Router, Status
from ninja.pagination import paginate

from peerlearn.accounts import selectors as accounts_selectors
from peerlearn.accounts.models import User
from peerlearn.api.auth import request_user
from peerlearn.api.errors import ERROR_RESPONSES
from peerlearn.api.helpers import api_field_names, ok, require_timezone
from peerlearn.api.pages import Page, fast_page
from peerlearn.common.errors import Conflict, Invalid, NotFound

from . import ics, selectors, services
from .models import Booking, CalendarFeed, TimeClaim, TutorPolicy
from .schemas import (
    BookingDetailOut,
    BookingIn,
    BookingOut,
    CalendarFeedOut,
    CounterIn,
    GroupSessionIn,
    GroupSessionOut,
    NoShowIn,
    ReasonIn,
    ReliabilityOut,
    RescheduleIn,
    RespondIn,
    SeriesIn,
    SeriesOut,
    SlotsOut,
    TutorPolicyIn,
    TutorPolicyOut,
    booking_item,
    viewer_zone,
)

slots = Router(tags=["slots"])
bookings = Router(tags=["bookings"])
groups = Router(tags=["group sessions"])
me = Router(tags=["me"])
people = Router(tags=["people"])

router = Router()
router.add_router("", slots)
router.add_router("", bookings)
router.add_router("", groups)
router.add_router("", me)
router.add_router("", people)

SessionView = Literal["upcoming", "incoming", "outgoing", "past", "cancelled"]


def _zone_named(name: str, *, field: str) -> ZoneInfo:
    return ZoneInfo(require_timezone(name, field=field))


def _aware(moment: datetime | None, *, field: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise Invalid(
            "Give the time with its offset, e.g. 2027-03-03T10:00:00Z.",
            code="naive_datetime",
            field=field,
        )
    return moment


def _booking(request: HttpRequest, booking_id: int) -> Booking:
    return selectors.access_booking(user=request_user(request), booking_id=booking_id)


def _act(request: HttpRequest, booking_id: int, action: Callable[[User], object]) -> Booking:
    """Run a state change on a booking the caller takes part in; strangers get a 404 before
    the service is asked (which would answer some of them with a revealing 403)."""
    user = request_user(request)
    selectors.access_booking(user=user, booking_id=booking_id)
    action(user)
    return selectors.access_booking(user=user, booking_id=booking_id)


# --- slots ------------------------------------------------------------------------------------


@slots.get(
    "/tutors/{int:tutor_id}/slots",
    response=ok(SlotsOut),
    summary="Bookable slots of a tutor, grouped by day in the caller's time zone",
)
def tutor_slots(
    request: HttpRequest,
    tutor_id: int,
    subject_id: int | None = None,
    duration: int = 60,
    from_: QueryEx[datetime | None, P(alias="from")] = None,
    to: datetime | None = None,
    both_free: bool = False,
    tz: str | None = None,
) -> dict[str, Any]:
    """Start times the caller can request, from ``from`` (default: now) to ``to`` (default: the
    tutor's booking horizon), after the tutor's minimum notice. ``both_free=true`` keeps only
    times when the caller is free too. Days and local times are in ``tz`` (default: the
    caller's profile time zone)."""
    user = request_user(request)
    zone = _zone_named(tz, field="tz") if tz is not None else viewer_zone(request)
    if duration not in selectors.DURATIONS:
        raise Invalid(
            "Sessions last 30, 45, 60 or 90 minutes.", code="invalid_duration", field="duration"
        )
    start = _aware(from_, field="from")
    end = _aware(to, field="to")
    if start is not None and end is not None and start >= end:
        raise Invalid("'to' must be after 'from'.", code="invalid_range", field="to")
    tutor = accounts_selectors.user_get_public(user_id=tutor_id)
    taught = {t.subject_id for t in tutor.teaching_subjects.all()}
    if subject_id is not None and subject_id not in taught:
        raise Invalid(
            "This tutor does not teach that subject.", code="not_taught", field="subject_id"
        )
    found = selectors.bookable_slots(
        tutor=tutor,
        duration_minutes=duration,
        start=start,
        end=end,
        learner=user if both_free and user.pk != tutor.pk else None,
    )
    days = [
        {
            "date": day,
            "slots": [
                {
                    "starts_at": s.starts_at.astimezone(UTC),
                    "ends_at": s.ends_at.astimezone(UTC),
                    "starts_at_local": s.starts_at.astimezone(zone),
                    "ends_at_local": s.ends_at.astimezone(zone),
                }
                for s in day_slots
            ],
        }
        for day, day_slots in selectors.slots_by_day(found, zone.key)
    ]
    return {
        "tutor_id": tutor.pk,
        "subject_id": subject_id,
        "duration_minutes": duration,
        "timezone": zone.key,
        "both_free": both_free,
        "days": days,
    }


# --- bookings: requests and lists -------------------------------------------------------------


@bookings.post(
    "/bookings",
    response=ok(BookingDetailOut, 201),
    summary="Request a one-to-one session (409 when the time is taken)",
)
def booking_create(request: HttpRequest, payload: BookingIn) -> Status[Booking]:
    user = request_user(request)
    booking = services.booking_request(
        actor=user,
        tutor_id=payload.tutor_id,
        subject_id=payload.subject_id,
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
        note=payload.note,
    )
    return Status(201, selectors.access_booking(user=user, booking_id=booking.pk))


@bookings.post(
    "/bookings/series",
    response=ok(SeriesOut, 201),
    summary="Request a weekly series; each occurrence is booked or reported",
)
def series_create(request: HttpRequest, payload: SeriesIn) -> Status[dict[str, Any]]:
    user = request_user(request)
    accounts_selectors.user_get_public(user_id=payload.tutor_id)  # 404 for an unknown tutor
    with api_field_names(starts_at="first_starts_at"):
        series, results = services.series_request(
            actor=user,
            tutor_id=payload.tutor_id,
            subject_id=payload.subject_id,
            first_starts_at=payload.first_starts_at,
            duration_minutes=payload.duration_minutes,
            occurrences=payload.occurrences,
            note=payload.note,
        )
    zone = viewer_zone(request)
    occurrences = [
        {
            "starts_at": r.starts_at.astimezone(UTC),
            "starts_at_local": r.starts_at.astimezone(zone),
            "booking_id": r.booking.pk if r.booking is not None else None,
            "error": r.error,
        }
        for r in results
    ]
    booked = sum(1 for r in results if r.booking is not None)
    body = {
        "series_id": series.pk,
        "timezone": zone.key,
        "booked": booked,
        "failed": len(results) - booked,
        "occurrences": occurrences,
    }
    return Status(201, body)


@bookings.get("/bookings", response=ok(list[BookingOut]), summary="My sessions")
@fast_page(booking_item, prepare=lambda rows, request: request)
def bookings_list(request: HttpRequest, view: SessionView = "upcoming") -> QuerySet[Booking]:
    """``upcoming`` confirmed sessions; pending requests ``incoming`` (to you as tutor) and
    ``outgoing`` (yours as learner); ``past`` sessions, newest first; ``cancelled`` (and
    declined) ones, newest first."""
    return selectors.sessions_for(user=request_user(request))[view]


@bookings.get(
    "/bookings/{int:booking_id}",
    response=ok(BookingDetailOut),
    url_name="booking_detail",
    summary="One session, with its history and any pending reschedule proposal",
)
def booking_get(request: HttpRequest, booking_id: int) -> Booking:
    return _booking(request, booking_id)


@bookings.get(
    "/bookings/{int:booking_id}/invitation.ics",
    response={200: None, **ERROR_RESPONSES},
    summary="The session's calendar invitation (text/calendar)",
    openapi_extra={
        "responses": {
            200: {
                "description": "METHOD:REQUEST, or METHOD:CANCEL for a cancelled session",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            }
        }
    },
)
def booking_invitation(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking(request, booking_id)
    if booking.status in (Booking.Status.REQUESTED, Booking.Status.COUNTERED):
        raise Conflict(
            "There is no invitation until the session is confirmed.", code="not_confirmed"
        )
    if booking.status == Booking.Status.DECLINED:
        raise Conflict("A declined request has no invitation.", code="not_confirmed")
    cancelled = booking.status == Booking.Status.CANCELLED
    method = "CANCEL" if cancelled else "REQUEST"
    response = HttpResponse(
        ics.invitation(booking, cancelled=cancelled),
        content_type=f"text/calendar; charset=utf-8; method={method}",
    )
    response["Content-Disposition"] = f'attachment; filename="peerlearn-session-{booking.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- bookings: the lifecycle ------------------------------------------------------------------


@bookings.post(
    "/bookings/{int:booking_id}/accept",
    response=ok(BookingDetailOut),
    summary="Tutor: confirm a request",
)
def booking_accept(request: HttpRequest, booking_id: int) -> Booking:
    return _act(
        request,
        booking_id,
        lambda user: services.booking_accept(actor=user, booking_id=booking_id),
    )


@bookings.post(
    "/bookings/{int:booking_id}/decline",
    response=ok(BookingDetailOut),
    summary="Tutor: decline a request; learner: decline a counter-proposal",
)
def booking_decline(request: HttpRequest, booking_id: int, payload: ReasonIn) -> Booking:
    return _act(
        request,
        booking_id,
        lambda user: services.booking_decline(
            actor=user, booking_id=booking_id, reason=payload.reason
        ),
    )


@bookings.post(
    "/bookings/{int:booking_id}/counter",
    response=ok(BookingDetailOut),
    summary="Tutor: propose another time for a request",
)
def booking_counter(request: HttpRequest, booking_id: int, payload: CounterIn) -> Booking:
    return _act(
        request,
        booking_id,
        lambda user: services.booking_counter(
            actor=user, booking_id=booking_id, starts_at=payload.starts_at, note=payload.note
        ),
    )


@bookings.post(
    "/bookings/{int:booking_id}/counter/accept",
    response=ok(BookingDetailOut),
    summary="Learner: accept the tutor's counter-proposal",
)
def booking_counter_accept(request: HttpRequest, booking_id: int) -> Booking:
    return _act(
        request,
        booking_id,
        lambda user: services.booking_counter_accept(actor=user, booking_id=booking_id),
    )


@bookings.post(
    "/bookings/{int:booking_id}/reschedule",
    response=ok(BookingDetailOut),
    summary="Propose a new time for a confirmed session (the original stands until accepted)",
)
def booking_reschedule(request: HttpRequest, booking_id: int, payload: RescheduleIn) -> Booking:
    return _act(
        request,
        booking_id,
        lambda user: services.booking_reschedule_propose(
            actor=user, booking_id=booking_id, starts_at=payload.starts_at
        ),
    )


@bookings.post(
    "/bookings/{int:booking_id}/cancel",
    response=ok(BookingDetailOut),
    summary="Cancel a pending or confirmed session, with a reason",
)
def booking_cancel(request: HttpRequest, booking_id: int, payload: ReasonIn) -> Booking:
    return _act(
        request,
        booking_id,
        lambda user: services.booking_cancel(
            actor=user, booking_id=booking_id, reason=payload.reason
        ),
    )


@bookings.post(
    "/bookings/{int:booking_id}/complete",
    response=ok(BookingDetailOut),
    summary="After the end: mark the session completed",
)
def booking_complete(request: HttpRequest, booking_id: int) -> Booking:
    return _act(
        request,
        booking_id,
        lambda user: services.booking_complete(actor=user, booking_id=booking_id),
    )


@bookings.post(
    "/bookings/{int:booking_id}/no-show",
    response=ok(BookingDetailOut),
    summary="After the end: record that the other side did not come",
)
def booking_no_show(request: HttpRequest, booking_id: int, payload: NoShowIn) -> Booking:
    return _act(
        request,
        booking_id,
        lambda user: services.booking_mark_no_show(
            actor=user, booking_id=booking_id, absent_user_id=payload.absent_user_id
        ),
    )


@bookings.post(
    "/reschedule-proposals/{int:proposal_id}/respond",
    response=ok(BookingDetailOut),
    summary="Accept or decline the other side's proposed new time",
)
def reschedule_respond(request: HttpRequest, proposal_id: int, payload: RespondIn) -> Booking:
    user = request_user(request)
    booking = services.booking_reschedule_respond(
        actor=user, proposal_id=proposal_id, accept=payload.accept
    )
    return selectors.access_booking(user=user, booking_id=booking.pk)


# --- group sessions ---------------------------------------------------------------------------


def _with_seats(qs: QuerySet[Booking], user: User) -> QuerySet[Booking]:
    """Seats taken and whether the caller holds one, counted by the database for the whole page."""
    seat = Q(claims__role=TimeClaim.Role.LEARNER, claims__active=True)
    mine = TimeClaim.objects.filter(
        booking=OuterRef("pk"), user=user, role=TimeClaim.Role.LEARNER, active=True
    )
    return qs.annotate(seats_taken=Count("claims", filter=seat), caller_joined=Exists(mine))


def _group_session(request: HttpRequest, booking: Booking) -> Booking:
    qs = Booking.objects.filter(pk=booking.pk).select_related("tutor__profile", "subject")
    return _with_seats(qs, request_user(request)).get()


@groups.get(
    "/group-sessions",
    response=ok(list[GroupSessionOut]),
    summary="Open group sessions (confirmed, not yet started), soonest first",
)
@paginate(Page)
def group_sessions_list(request: HttpRequest, tutor_id: int | None = None) -> QuerySet[Booking]:
    tutor = accounts_selectors.user_get_public(user_id=tutor_id) if tutor_id is not None else None
    return _with_seats(selectors.open_group_sessions(tutor=tutor), request_user(request))


@groups.post(
    "/group-sessions",
    response=ok(GroupSessionOut, 201),
    summary="Tutor: offer a group session with a seat limit",
)
def group_session_create(request: HttpRequest, payload: GroupSessionIn) -> Status[Booking]:
    booking = services.group_session_create(
        actor=request_user(request),
        subject_id=payload.subject_id,
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
        capacity=payload.capacity,
        title=payload.title,
    )
    return Status(201, _group_session(request, booking))


@groups.post(
    "/group-sessions/{int:booking_id}/seat",
    response=ok(GroupSessionOut),
    summary="Take a seat (409 `full` when there is none left)",
)
def group_seat_take(request: HttpRequest, booking_id: int) -> Booking:
    booking = services.group_seat_take(actor=request_user(request), booking_id=booking_id)
    return _group_session(request, booking)


@groups.delete(
    "/group-sessions/{int:booking_id}/seat",
    response=ok(GroupSessionOut),
    summary="Give your seat back",
)
def group_seat_release(request: HttpRequest, booking_id: int) -> Booking:
    if _booking(request, booking_id).kind != Booking.Kind.GROUP:
        raise NotFound("No such group session.")
    booking = services.group_seat_release(actor=request_user(request), booking_id=booking_id)
    return _group_session(request, booking)


# --- me: policy and calendar feed -------------------------------------------------------------


@me.get("/me/tutor-policy", response=ok(TutorPolicyOut), summary="How you can be booked")
def tutor_policy_get(request: HttpRequest) -> TutorPolicy:
    return selectors.policy_for(request_user(request))


@me.put("/me/tutor-policy", response=ok(TutorPolicyOut), summary="Replace your booking policy")
def tutor_policy_put(request: HttpRequest, payload: TutorPolicyIn) -> TutorPolicy:
    return services.tutor_policy_update(actor=request_user(request), **payload.model_dump())


def _feed_out(feed: CalendarFeed) -> dict[str, str]:
    url = settings.SITE_URL + reverse("scheduling:feed", args=[feed.token])
    return {"url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]}


@me.get(
    "/me/calendar-feed",
    response=ok(CalendarFeedOut),
    summary="Your private ICS subscription URL",
)
def calendar_feed_get(request: HttpRequest) -> dict[str, str]:
    return _feed_out(selectors.calendar_feed_for(user=request_user(request)))


@me.post(
    "/me/calendar-feed/regenerate",
    response=ok(CalendarFeedOut),
    summary="A new private URL; the old one stops working at once",
)
def calendar_feed_regenerate(request: HttpRequest) -> dict[str, str]:
    return _feed_out(services.calendar_feed_regenerate(actor=request_user(request)))


# --- people -----------------------------------------------------------------------------------


@people.get(
    "/users/{int:user_id}/reliability",
    response=ok(ReliabilityOut),
    summary="How reliably a person keeps sessions (late cancellations, no-shows)",
)
def user_reliability(request: HttpRequest, user_id: int) -> dict[str, Any]:
    request_user(request)
    person = accounts_selectors.user_get_public(user_id=user_id)
    reliability = selectors.reliability_for(user=person)
    return {
        "user_id": person.pk,
        "sessions": reliability.sessions,
        "late_cancellations": reliability.late_cancellations,
        "no_shows": reliability.no_shows,
        "score": round(reliability.score, 4),
        "percent": reliability.percent,
    }
