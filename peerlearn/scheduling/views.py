"""Web pages for scheduling: booking from a tutor's profile, "My sessions", a session's page with
its history and actions, group sessions, and the tutor's policy and calendar feed settings.

Thin adapters: parse the input, call a selector or a service, render. A service's refusal is
shown on the form or as a message, never as a server error. Times are shown, and typed, in the
viewer's own time zone."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from peerlearn.accounts import selectors as account_selectors
from peerlearn.accounts.models import TeachingSubject, User
from peerlearn.accounts.services import profile_ensure
from peerlearn.common.errors import Conflict, NotFound, ServiceError
from peerlearn.common.web import is_htmx, paginate

from . import ics, selectors, services
from .forms import (
    DEFAULT_DURATION,
    DURATION_CHOICES,
    BookingRequestForm,
    GroupSessionForm,
    NoShowForm,
    ProposeTimeForm,
    ReasonForm,
    RescheduleAnswerForm,
    SlotFilterForm,
    TutorPolicyForm,
    local_input_value,
    parse_slot_start,
    slot_token,
)
from .models import Booking, BookingEvent, RescheduleProposal, TimeClaim

Status = Booking.Status


# --- helpers ---------------------------------------------------------------------------------


def _viewer(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _tz_name(user: User) -> str:
    name = profile_ensure(user=user).timezone
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def _booking_or_404(user: User, booking_id: int) -> Booking:
    try:
        return selectors.access_booking(user=user, booking_id=booking_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _wants_partial(request: HttpRequest) -> bool:
    """An HTMX swap wants the fragment; a history restore (back button) wants the whole page."""
    return is_htmx(request) and request.headers.get("HX-History-Restore-Request") != "true"


def _form_error(form: forms.Form, exc: ServiceError, aliases: Mapping[str, str] = {}) -> None:
    """Show a service's refusal next to the field it names (service and form names differ)."""
    name = aliases.get(exc.field or "", exc.field)
    visible = name in form.fields and not form.fields[name].widget.is_hidden
    form.add_error(name if visible else None, exc.message)


def _first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        prefix = f"{label}: " if label and field != "__all__" else ""
        return f"{prefix}{errors[0]}"
    return "Please check what you entered."


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- booking from a profile --------------------------------------------------------------------


@dataclass(frozen=True)
class SlotChoice:
    subject_id: int
    duration: int
    both: bool
    week: int | None

    def query(self, **extra: object) -> str:
        params: dict[str, object] = {"subject": self.subject_id, "duration": self.duration}
        if self.both:
            params["both"] = "on"
        params.update({k: v for k, v in extra.items() if v is not None})
        return urlencode(params)


def _slot_choice(data: Mapping[str, Any], teaching: list[TeachingSubject]) -> SlotChoice:
    """What the page was asked for; anything unusable falls back to a sensible default."""
    form = SlotFilterForm(data, teaching=teaching)
    form.is_valid()
    cleaned = form.cleaned_data
    return SlotChoice(
        subject_id=cleaned.get("subject") or teaching[0].subject_id,
        duration=cleaned.get("duration") or DEFAULT_DURATION,
        both=bool(cleaned.get("both")),
        week=cleaned.get("week"),
    )


def _booking_page(
    request: HttpRequest,
    context: dict[str, Any],
    choice: SlotChoice,
    *,
    picked: datetime | None = None,
    confirm_form: BookingRequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The slot list for one week (in the viewer's zone) and, when a slot is picked, the form
    confirming it."""
    viewer, tutor = _viewer(request), context["tutor"]
    viewer_tz = context["viewer_tz"]
    slots = selectors.bookable_slots(
        tutor=tutor, duration_minutes=choice.duration, learner=viewer if choice.both else None
    )
    starts = {slot.starts_at for slot in slots}
    today = timezone.now().astimezone(ZoneInfo(viewer_tz)).date()
    weeks: dict[int, list[tuple[date, list[selectors.Slot]]]] = {}
    for day, day_slots in selectors.slots_by_day(slots, viewer_tz):
        weeks.setdefault((day - today).days // 7, []).append((day, day_slots))
    last_week = max(selectors.policy_for(tutor).horizon_weeks, *weeks.keys(), 0)

    gone = picked is not None and picked not in starts and confirm_form is None
    if picked is not None and not gone and confirm_form is None:
        confirm_form = BookingRequestForm(
            initial={
                "subject": choice.subject_id,
                "duration": choice.duration,
                "both": choice.both,
                "start": slot_token(picked),
                "occurrences": 4,
            }
        )
    if choice.week is not None:
        week = min(choice.week, last_week)
    elif picked is not None:
        week = max(0, (picked.astimezone(ZoneInfo(viewer_tz)).date() - today).days // 7)
    else:
        week = min(weeks, default=0)

    by_day = dict(weeks.get(week, []))
    day_rows = []
    for offset in range(7):
        day = today + timedelta(days=7 * week + offset)
        links = [
            (slot, choice.query(week=week, start=slot_token(slot.starts_at)))
            for slot in by_day.get(day, [])
        ]
        day_rows.append((day, links))
    week_strip = [
        {
            "index": index,
            "first": today + timedelta(days=7 * index),
            "last": today + timedelta(days=7 * index + 6),
            "count": sum(len(s) for _, s in weeks.get(index, [])),
            "query": choice.query(week=index),
        }
        for index in range(last_week + 1)
    ]
    picked_end = picked + timedelta(minutes=choice.duration) if picked else None
    context.update(
        {
            "choice": choice,
            "filter_form": SlotFilterForm(
                initial={
                    "subject": choice.subject_id,
                    "duration": choice.duration,
                    "both": choice.both,
                },
                teaching=context["teaching"],
            ),
            "durations": DURATION_CHOICES,
            "subject_name": next(
                (t.subject.name for t in context["teaching"] if t.subject_id == choice.subject_id),
                "",
            ),
            "total_slots": len(slots),
            "week": week,
            "week_strip": week_strip,
            "day_rows": day_rows,
            "picked": picked,
            "picked_end": picked_end,
            "picked_gone": gone,
            "confirm_form": confirm_form,
            "clear_query": choice.query(week=week),
            "viewer_has_hours": bool(account_selectors.availability_for(user=viewer)),
        }
    )
    template = "scheduling/book.html#panel" if _wants_partial(request) else "scheduling/book.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


BOOKING_FIELD_ALIASES = {
    "subject_id": "subject",
    "duration_minutes": "duration",
    "starts_at": "start",
    "first_starts_at": "start",
}


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, tutor_id: int) -> HttpResponse:
    """Pick a subject, a duration and a free time of a tutor; confirm with a note; optionally
    make it a weekly series."""
    viewer = _viewer(request)
    try:
        tutor = account_selectors.user_get_public(user_id=tutor_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    teaching = list(tutor.teaching_subjects.all())
    context: dict[str, Any] = {
        "tutor": tutor,
        "teaching": teaching,
        "viewer_tz": _tz_name(viewer),
        "tutor_tz": _tz_name(tutor),
        "is_self": tutor.pk == viewer.pk,
    }
    if context["is_self"] or not teaching:
        return render(request, "scheduling/book.html", context)
    if request.method == "GET":
        choice = _slot_choice(request.GET, teaching)
        return _booking_page(
            request, context, choice, picked=parse_slot_start(request.GET.get("start"))
        )

    choice = _slot_choice(request.POST, teaching)
    form = BookingRequestForm(request.POST, teaching=teaching)
    if not form.is_valid():
        picked = parse_slot_start(request.POST.get("start"))
        return _booking_page(request, context, choice, picked=picked, confirm_form=form)
    data = form.cleaned_data
    try:
        if data["weekly"]:
            _series, results = services.series_request(
                actor=viewer,
                tutor_id=tutor.pk,
                subject_id=data["subject"],
                first_starts_at=data["start"],
                duration_minutes=data["duration"],
                occurrences=data["occurrences"],
                note=data["note"],
            )
            return _series_result(request, context, data, results)
        booking = services.booking_request(
            actor=viewer,
            tutor_id=tutor.pk,
            subject_id=data["subject"],
            starts_at=data["start"],
            duration_minutes=data["duration"],
            note=data["note"],
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Conflict as exc:
        # Someone else was faster (or the tutor's calendar changed): say so, show fresh times.
        messages.error(request, f"{exc.message} The times below are up to date: pick another.")
        return _booking_page(request, context, choice, status=409)
    except ServiceError as exc:
        _form_error(form, exc, BOOKING_FIELD_ALIASES)
        return _booking_page(request, context, choice, picked=data["start"], confirm_form=form)
    messages.success(
        request,
        f"Request sent to {tutor.display_name}. The time is held for you while they answer.",
    )
    return redirect("scheduling:detail", booking.pk)


def _series_result(
    request: HttpRequest,
    context: dict[str, Any],
    data: Mapping[str, Any],
    results: list[services.SeriesOccurrence],
) -> HttpResponse:
    booked = sum(1 for r in results if r.booking is not None)
    context.update(
        {
            "results": results,
            "booked": booked,
            "failed": len(results) - booked,
            "duration": data["duration"],
            "subject_name": next(
                (t.subject.name for t in context["teaching"] if t.subject_id == data["subject"]),
                "",
            ),
        }
    )
    return render(request, "scheduling/series_result.html", context)


# --- one session: what the viewer may do with it ------------------------------------------------


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


def _actions(
    booking: Booking, *, is_tutor: bool, proposal: RescheduleProposal | None, viewer: User
) -> frozenset[str]:
    """The actions valid for this state and this participant (the services enforce the same
    rules; this only decides which buttons to show)."""
    now = timezone.now()
    started, ended = now >= booking.starts_at, now >= booking.ends_at
    group = booking.kind == Booking.Kind.GROUP
    acts: set[str] = set()
    if booking.status == Status.REQUESTED:
        if is_tutor:
            acts |= {"decline"} if started else {"accept", "decline", "counter"}
        elif not started:
            acts.add("cancel")
    elif booking.status == Status.COUNTERED:
        if not is_tutor:
            acts |= {"counter-decline"} if started else {"counter-accept", "counter-decline"}
        elif not started:
            acts.add("cancel")
    elif booking.status == Status.CONFIRMED:
        if ended:
            acts |= {"complete", "no-show"}
        elif not started:
            if group:
                acts.add("cancel" if is_tutor else "leave")
            else:
                acts |= {"reschedule", "cancel"}
                if proposal is not None and proposal.proposed_by_id != viewer.pk:
                    acts.add("reschedule-answer")
    return frozenset(acts)


def _row(
    booking: Booking, viewer: User, viewer_tz: str, proposal: RescheduleProposal | None
) -> SessionRow:
    is_tutor = booking.tutor_id == viewer.pk
    learner_claims = [c for c in booking.claims.all() if c.role == TimeClaim.Role.LEARNER]
    # Cancelled sessions have released their claims; still show who was in them.
    counted = [c for c in learner_claims if c.active or not booking.is_active]
    learners = [c.user for c in counted]
    seated = is_tutor or any(c.user_id == viewer.pk for c in counted)
    others = [u for u in learners if u.pk != viewer.pk] if is_tutor else [booking.tutor]
    actions = (
        _actions(booking, is_tutor=is_tutor, proposal=proposal, viewer=viewer)
        if seated
        else frozenset()
    )
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
def my_sessions(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    viewer_tz = _tz_name(viewer)
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
def booking_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    viewer = _viewer(request)
    viewer_tz = _tz_name(viewer)
    booking = _booking_or_404(viewer, booking_id)
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
        (person, ZoneInfo(_tz_name(person)))
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
def booking_ics(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The session as an .ics invitation for the participant's calendar app."""
    booking = _booking_or_404(_viewer(request), booking_id)
    cancelled = booking.status in (Status.CANCELLED, Status.DECLINED)
    response = HttpResponse(
        ics.invitation(booking, cancelled=cancelled), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="peerlearn-session-{booking.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private ICS feed: the token in the URL is the only credential (regenerable)."""
    try:
        owner = selectors.feed_owner(token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    body = ics.feed(selectors.feed_bookings(user=owner), owner_name=owner.display_name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="peerlearn.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- actions on a session ------------------------------------------------------------------------


def _valid(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise ServiceError(_first_error(form))
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
    "counter-accept": _counter_accept,
    "counter-decline": _decline,
    "reschedule": _reschedule,
    "reschedule-answer": _reschedule_answer,
    "cancel": _cancel,
    "complete": _complete,
    "no-show": _no_show,
    "leave": _leave,
}


@login_required
@require_POST
def booking_action(request: HttpRequest, booking_id: int, action: str) -> HttpResponse:
    """One POST endpoint per state change; only participants get past the first line."""
    viewer = _viewer(request)
    booking = _booking_or_404(viewer, booking_id)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("No such action.")
    try:
        done = handler(request, viewer, booking, _tz_name(viewer))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(_safe_next(request, reverse("scheduling:detail", args=[booking.pk])))


# --- group sessions --------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCard:
    booking: Booking
    taken: int
    left: int
    mine: bool
    running: bool


@login_required
@require_http_methods(["GET", "POST"])
def group_sessions(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    viewer_tz = _tz_name(viewer)
    teaching = list(viewer.teaching_subjects.select_related("subject"))
    form = GroupSessionForm(request.POST or None, teaching=teaching, tz_name=viewer_tz)
    if request.method == "POST" and teaching and form.is_valid():
        data = form.cleaned_data
        try:
            booking = services.group_session_create(
                actor=viewer,
                subject_id=data["subject"],
                starts_at=data["starts_at"],
                duration_minutes=data["duration"],
                capacity=data["capacity"],
                title=data["title"],
            )
        except ServiceError as exc:
            _form_error(form, exc, {"subject_id": "subject", "duration_minutes": "duration"})
        else:
            messages.success(request, "Your group session is open: learners can take seats now.")
            return redirect("scheduling:detail", booking.pk)
    seats = TimeClaim.objects.filter(role=TimeClaim.Role.LEARNER, active=True)
    sessions = selectors.open_group_sessions().prefetch_related(
        Prefetch("claims", queryset=seats, to_attr="seat_claims")
    )
    page = paginate(request, sessions, per_page=12)
    cards = []
    for booking in page.object_list:
        claims: list[TimeClaim] = booking.seat_claims  # type: ignore[attr-defined]
        cards.append(
            GroupCard(
                booking=booking,
                taken=len(claims),
                left=max(0, booking.capacity - len(claims)),
                mine=any(c.user_id == viewer.pk for c in claims),
                running=booking.tutor_id == viewer.pk,
            )
        )
    return render(
        request,
        "scheduling/groups.html",
        {
            "form": form,
            "teaches": bool(teaching),
            "page": page,
            "cards": cards,
            "viewer_tz": viewer_tz,
            "open_form": request.method == "POST",
        },
    )


@login_required
@require_POST
def group_join(request: HttpRequest, booking_id: int) -> HttpResponse:
    try:
        booking = services.group_seat_take(actor=_viewer(request), booking_id=booking_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:groups")
    messages.success(request, "Your seat is booked. It is in your calendar and reminders are set.")
    return redirect("scheduling:detail", booking.pk)


@login_required
@require_POST
def group_leave(request: HttpRequest, booking_id: int) -> HttpResponse:
    try:
        services.group_seat_release(actor=_viewer(request), booking_id=booking_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "You gave up your seat.")
    return redirect("scheduling:groups")


# --- settings: booking policy and calendar feed ----------------------------------------------


def _feed_urls(token: str) -> tuple[str, str]:
    https_url = settings.SITE_URL + reverse("scheduling:feed", args=[token])
    return https_url, re.sub(r"^https?://", "webcal://", https_url)


@login_required
@require_http_methods(["GET", "POST"])
def scheduling_settings(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    policy = selectors.policy_for(viewer)
    form = TutorPolicyForm.for_policy(policy)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "regenerate":
            services.calendar_feed_regenerate(actor=viewer)
            messages.success(request, "New calendar address made. The old one has stopped working.")
            return redirect("scheduling:settings")
        if action == "policy":
            form = TutorPolicyForm.for_policy(policy, request.POST)
            if form.is_valid():
                try:
                    services.tutor_policy_update(actor=viewer, **form.cleaned_data)
                except ServiceError as exc:
                    _form_error(form, exc)
                else:
                    messages.success(request, "Your booking rules are saved.")
                    return redirect("scheduling:settings")
    feed = selectors.calendar_feed_for(user=viewer)
    feed_url, webcal_url = _feed_urls(feed.token)
    return render(
        request,
        "scheduling/settings.html",
        {
            "form": form,
            "teaches": viewer.teaching_subjects.exists(),
            "feed_url": feed_url,
            "webcal_url": webcal_url,
            "feed": feed,
            "viewer_tz": _tz_name(viewer),
            "cutoff_hours": settings.BOOKING_CANCELLATION_CUTOFF_HOURS,
        },
    )
