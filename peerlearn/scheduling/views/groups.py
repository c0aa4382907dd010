"""Group sessions: the open ones with their seats, offering one, taking and giving up a seat."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import REFUSALS, ServiceError
from peerlearn.common.web import form_error, paginate

from .. import selectors, services
from ..forms import (
    GroupSessionForm,
)
from ..models import Booking, TimeClaim
from .common import (
    tz_name_of,
)


@dataclass(frozen=True)
class GroupCard:
    booking: Booking
    taken: int
    left: int
    mine: bool
    running: bool


@login_required
@require_http_methods(["GET", "POST"])
def group_sessions(request: AuthedRequest) -> HttpResponse:
    viewer = request.user
    viewer_tz = tz_name_of(viewer)
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
            form_error(form, exc, {"subject_id": "subject", "duration_minutes": "duration"})
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
        claims: list[TimeClaim] = booking.seat_claims
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
def group_join(request: AuthedRequest, booking_id: int) -> HttpResponse:
    try:
        booking = services.group_seat_take(actor=request.user, booking_id=booking_id)
    except REFUSALS as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:groups")
    messages.success(request, "Your seat is booked. It is in your calendar and reminders are set.")
    return redirect("scheduling:detail", booking.pk)


@login_required
@require_POST
def group_leave(request: AuthedRequest, booking_id: int) -> HttpResponse:
    try:
        services.group_seat_release(actor=request.user, booking_id=booking_id)
    except REFUSALS as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "You gave up your seat.")
    return redirect("scheduling:groups")
