"""Booking from a tutor's profile: free times in the viewer's zone, refreshed with HTMX, a
confirm form, and weekly series."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from peerlearn.accounts import selectors as account_selectors
from peerlearn.accounts.models import TeachingSubject
from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import REFUSALS, Conflict
from peerlearn.common.web import form_error

from .. import selectors, services
from ..forms import (
    DEFAULT_DURATION,
    DURATION_CHOICES,
    BookingRequestForm,
    SlotFilterForm,
    parse_slot_start,
    slot_token,
)
from .common import (
    tz_name_of,
    wants_partial,
)


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
    request: AuthedRequest,
    context: dict[str, Any],
    choice: SlotChoice,
    *,
    picked: datetime | None = None,
    confirm_form: BookingRequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The slot list for one week (in the viewer's zone) and, when a slot is picked, the form
    confirming it."""
    viewer, tutor = request.user, context["tutor"]
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
    template = "scheduling/book.html#panel" if wants_partial(request) else "scheduling/book.html"
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
def book(request: AuthedRequest, tutor_id: int) -> HttpResponse:
    """Pick a subject, a duration and a free time of a tutor; confirm with a note; optionally
    make it a weekly series."""
    viewer = request.user
    tutor = account_selectors.user_get_public(user_id=tutor_id)
    teaching = list(tutor.teaching_subjects.all())
    context: dict[str, Any] = {
        "tutor": tutor,
        "teaching": teaching,
        "viewer_tz": tz_name_of(viewer),
        "tutor_tz": tz_name_of(tutor),
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
    except Conflict as exc:
        # Someone else was faster (or the tutor's calendar changed): say so, show fresh times.
        messages.error(request, f"{exc.message} The times below are up to date: pick another.")
        return _booking_page(request, context, choice, status=409)
    except REFUSALS as exc:
        form_error(form, exc, BOOKING_FIELD_ALIASES)
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
