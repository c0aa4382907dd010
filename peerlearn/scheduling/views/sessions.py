"""My sessions, a session's page with its history, the .ics files, and every action on a
session (one POST endpoint per state change)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from peerlearn.accounts.models import User
from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import Invalid, ServiceError
from peerlearn.common.web import paginate, safe_next

from .. import ics, selectors, services
from ..forms import (
    NoShowForm,
    ProposeTimeForm,
    ReasonForm,
    RescheduleAnswerForm,
    local_input_value,
)
from ..models import Booking, BookingEvent, RescheduleProposal
from .common import (
    first_error,
    tz_name_of,
)

Status = Booking.Status


@dataclass(frozen=True)
class SessionRow:
    """A booking as one participant sees it: the other side, and the actions open to them."""

    booking: Booking
    is_tutor: bool
    others: list[User]
    learners: list[User]
    actions: frozenset[str]
    proposal: RescheduleProposal | None
    proposal_mine: bool
    absent_choices: list[User]
    start_input: str
    left: bool

    @property
    def is_group(self) -> bool:
        return self.booking.kind == Booking.Kind.GROUP

    @property
    def title(self) -> str:
        return self.booking.title or self.booking.subject.name


def _row(
    booking: Booking, viewer: User, viewer_tz: str, proposal: RescheduleProposal | None
) -> SessionRow:
    is_tutor = booking.tutor_id == viewer.pk
    learners = [c.user for c in selectors.learner_claims(booking)]
    seated = is_tutor or any(person.pk == viewer.pk for person in learners)
    others = [u for u in learners if u.pk != viewer.pk] if is_tutor else [booking.tutor]
    actions = frozenset(selectors.allowed_actions(booking, viewer))
    return SessionRow(
        booking=booking,
        is_tutor=is_tutor,
        others=others,
        learners=learners,
        actions=actions,
        proposal=proposal,
        proposal_mine=proposal is not None and proposal.proposed_by_id == viewer.pk,
        absent_choices=others,
        start_input=local_input_value(booking.starts_at, viewer_tz),
        left=not seated,
    )


# --- My sessions -------------------------------------------------------------------------------

TABS = (
    ("upcoming", "Upcoming"),
    ("incoming", "Requests to me"),
    ("outgoing", "My requests"),
    ("past", "Past"),
    ("cancelled", "Cancelled"),
)
EMPTY_TEXT = {
    "upcoming": "No confirmed sessions coming up. Book a tutor from their profile, or join a "
    "group session.",
    "incoming": "Nobody is waiting for your answer.",
    "outgoing": "You have no requests waiting for an answer.",
    "past": "Sessions you have had will be listed here.",
    "cancelled": "Nothing cancelled or declined.",
}


@login_required
def my_sessions(request: AuthedRequest) -> HttpResponse:
    viewer = request.user
    viewer_tz = tz_name_of(viewer)
    tab = request.GET.get("tab", "upcoming")
    if tab not in EMPTY_TEXT:
        tab = "upcoming"
    groups = selectors.sessions_for(user=viewer)
    page = paginate(request, groups[tab], per_page=15)
    rows = [
        _row(b, viewer, viewer_tz, next(iter(b.reschedule_proposals.all()), None))
        for b in page.object_list
    ]
    counts = {name: groups[name].count() for name in ("upcoming", "incoming", "outgoing")}
    return render(
        request,
        "scheduling/my_sessions.html",
        {
            "tabs": [(name, label, counts.get(name)) for name, label in TABS],
            "tab": tab,
            "page": page,
            "rows": rows,
            "empty_text": EMPTY_TEXT[tab],
            "viewer_tz": viewer_tz,
            "extra_query": urlencode({"tab": tab}),
            "here": f"{request.path}?{urlencode({'tab': tab, 'page': page.number})}",
            "cutoff_hours": settings.BOOKING_CANCELLATION_CUTOFF_HOURS,
        },
    )


# --- a session's page --------------------------------------------------------------------------

EVENT_TEXT = {
    "request": "asked for the session",
    "accept": "accepted the request",
    "decline": "declined",
    "counter": "proposed another time",
    "accept_counter": "accepted the proposed time",
    "propose_reschedule": "proposed to move the session",
    "decline_reschedule": "declined the new time; the original time stands",
    "reschedule": "accepted the new time; the session moved",
    "cancel": "cancelled",
    "complete": "marked the session completed",
    "no_show": "recorded a no-show",
    "open_group": "opened the group session",
    "take_seat": "took a seat",
    "release_seat": "gave up their seat",
}


@dataclass(frozen=True)
class EventLine:
    at: datetime
    actor: User | None
    who: str
    text: str
    reason: str
    moved_to: datetime | None
    moved_from: datetime | None
    late: bool
    absent: str


def _parse_iso(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _event_line(event: BookingEvent, viewer: User, names: Mapping[int, str]) -> EventLine:
    data = event.data or {}
    absent_id = data.get("absent_user_id")
    if event.actor is None:
        who = "PeerLearn"
    elif event.actor_id == viewer.pk:
        who = "You"
    else:
        who = event.actor.display_name
    return EventLine(
        at=event.at,
        actor=event.actor,
        who=who,
        text=EVENT_TEXT.get(event.action, event.action.replace("_", " ")),
        reason=event.reason,
        moved_to=_parse_iso(data.get("new_start")),
        moved_from=_parse_iso(data.get("old_start")),
        late=bool(data.get("late")),
        absent=names.get(absent_id, "") if isinstance(absent_id, int) else "",
    )


@login_required
def booking_detail(request: AuthedRequest, booking_id: int) -> HttpResponse:
    viewer = request.user
    viewer_tz = tz_name_of(viewer)
    booking = selectors.access_booking(user=viewer, booking_id=booking_id)
    proposal = (
        booking.reschedule_proposals.filter(status=RescheduleProposal.Status.PENDING)
        .select_related("proposed_by__profile")
        .first()
    )
    row = _row(booking, viewer, viewer_tz, proposal)
    people = [booking.tutor, *(c.user for c in booking.claims.all())]
    names = {u.pk: ("you" if u.pk == viewer.pk else u.display_name) for u in people}
    events = [
        _event_line(e, viewer, names) for e in booking.events.select_related("actor__profile")
    ]
    zones = [
        (person, ZoneInfo(tz_name_of(person)))
        for person in ([booking.tutor, *row.learners] if not row.is_group else [booking.tutor])
        if person.pk != viewer.pk
    ]
    return render(
        request,
        "scheduling/detail.html",
        {
            "row": row,
            "booking": booking,
            "events": events,
            "viewer_tz": viewer_tz,
            "their_times": [
                (person, booking.starts_at.astimezone(tz), tz.key) for person, tz in zones
            ],
            "no_show_name": names.get(booking.no_show_user_id or 0, ""),
            "here": request.path,
            "cutoff_hours": settings.BOOKING_CANCELLATION_CUTOFF_HOURS,
        },
    )


@login_required
def booking_ics(request: AuthedRequest, booking_id: int) -> HttpResponse:
    """The session as an .ics invitation for the participant's calendar app."""
    booking = selectors.access_booking(user=request.user, booking_id=booking_id)
    cancelled = booking.status in (Status.CANCELLED, Status.DECLINED)
    response = HttpResponse(
        ics.invitation(booking, cancelled=cancelled), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="peerlearn-session-{booking.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private ICS feed: the token in the URL is the only credential (regenerable)."""
    owner = selectors.feed_owner(token=token)
    body = ics.feed(selectors.feed_bookings(user=owner), owner_name=owner.display_name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="peerlearn.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- actions on a session ------------------------------------------------------------------------


def _valid(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise Invalid(first_error(form))
    return form.cleaned_data


def _when(moment: datetime, tz_name: str) -> str:
    return f"{moment.astimezone(ZoneInfo(tz_name)):%a %d %b, %H:%M} ({tz_name})"


def _accept(request: HttpRequest, viewer: User, booking: Booking, tz: str) -> str:
    services.booking_accept(actor=viewer, booking_id=booking.pk)
    return "Confirmed. You both get a calendar invitation and reminders."


def _decline(request: HttpRequest, viewer: User, booking: Booking, tz: str) -> str:
    reason = _valid(ReasonForm(request.POST))["reason"]
    services.booking_decline(actor=viewer, booking_id=booking.pk, reason=reason)
    return "Declined. The other side has been told why."


def _counter(request: HttpRequest, viewer: User, booking: Booking, tz: str) -> str:
    data = _valid(ProposeTimeForm(request.POST, tz_name=tz))
    services.booking_counter(
        actor=viewer, booking_id=booking.pk, starts_at=data["starts_at"], note=data["note"]
    )
    return f"You proposed {_when(data['starts_at'], tz)}. The learner will accept or decline."


def _counter_accept(request: HttpRequest, viewer: User, booking: Booking, tz: str) -> str:
    services.booking_counter_accept(actor=viewer, booking_id=booking.pk)
    return "Confirmed at the proposed time."


def _reschedule(request: HttpRequest, viewer: User, booking: Booking, tz: str) -> str:
    data = _valid(ProposeTimeForm(request.POST, tz_name=tz))
    services.booking_reschedule_propose(
        actor=viewer, booking_id=booking.pk, starts_at=data["starts_at"]
    )
    return (
        f"You proposed to move the session to {_when(data['starts_at'], tz)}. "
        "Until the other side agrees, the original time stands."
    )


def _reschedule_answer(request: HttpRequest, viewer: User, booking: Booking, tz: str) -> str:
    data = _valid(RescheduleAnswerForm(request.POST))
    accept = data["answer"] == "accept"
    services.booking_reschedule_respond(actor=viewer, proposal_id=data["proposal"], accept=accept)
    return "The session has moved to the new time." if accept else "The original time stands."


def _cancel(request: HttpRequest, viewer: User, booking: Booking, tz: str) -> str:
    reason = _valid(ReasonForm(request.POST))["reason"]
    was = booking.status
    cancelled = services.booking_cancel(actor=viewer, booking_id=booking.pk, reason=reason)
    if cancelled.cancelled_late:
        return "Cancelled. It was inside the cut-off, so it counts as a late cancellation."
    return "Request withdrawn." if was != Status.CONFIRMED else "Cancelled."


def _complete(request: HttpRequest, viewer: User, booking: Booking, tz: str) -> str:
    services.booking_complete(actor=viewer, booking_id=booking.pk)
    return "Marked as completed."


def _no_show(request: HttpRequest, viewer: User, booking: Booking, tz: str) -> str:
    absent = _valid(NoShowForm(request.POST))["absent_user"]
    services.booking_mark_no_show(actor=viewer, booking_id=booking.pk, absent_user_id=absent)
    return "No-show recorded."


def _leave(request: HttpRequest, viewer: User, booking: Booking, tz: str) -> str:
    services.group_seat_release(actor=viewer, booking_id=booking.pk)
    return "You gave up your seat."


ActionHandler = Callable[[HttpRequest, User, Booking, str], str]
ACTIONS: dict[str, ActionHandler] = {
    "accept": _accept,
    "decline": _decline,
    "counter": _counter,
    "counter_accept": _counter_accept,
    "reschedule": _reschedule,
    "respond_reschedule": _reschedule_answer,
    "cancel": _cancel,
    "complete": _complete,
    "no_show": _no_show,
    "leave": _leave,
}


@login_required
@require_POST
def booking_action(request: AuthedRequest, booking_id: int, action: str) -> HttpResponse:
    """One POST endpoint per state change; only participants get past the first line."""
    viewer = request.user
    booking = selectors.access_booking(user=viewer, booking_id=booking_id)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("No such action.")
    try:
        done = handler(request, viewer, booking, tz_name_of(viewer))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(safe_next(request, reverse("scheduling:detail", args=[booking.pk])))
