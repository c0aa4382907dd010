"""Help-request pages: "Ask for help" with my requests (live status), one request (who was
asked, who answered and how fast), and a tutor's incoming offers with Accept / Decline.

Thin adapters. Live updates come over /ws/help/… (static/js/matching/help.js); every partial is
also polled (HTMX ``every 3s``) while something can still change."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peerlearn.accounts.models import User
from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import REFUSALS, ServiceError
from peerlearn.common.web import form_error, is_htmx
from peerlearn.scheduling.views.common import tz_name_of

from . import selectors, services
from .forms import DeclineForm, HelpRequestForm
from .models import HelpRequest


def _mine_context(user: User) -> dict[str, object]:
    mine = list(selectors.requests_of(user=user)[:30])
    return {"mine": mine, "any_open": any(r.is_open for r in mine)}


@login_required
@require_http_methods(["GET", "POST"])
def index(request: AuthedRequest) -> HttpResponse:
    user = request.user
    tz = tz_name_of(user)
    form = HelpRequestForm(request.POST or None, tz_name=tz)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.help_request_create(
                actor=user,
                subject_id=data["subject"],
                description=data["description"],
                starts_at=data["starts_at"],
                duration_minutes=data["duration"],
            )
        except ServiceError as exc:
            form_error(form, exc, {"subject_id": "subject", "duration_minutes": "duration"})
        else:
            messages.success(request, "Your request went out. The first tutor to accept gets it.")
            return redirect("matching_help:detail", created.pk)
    return render(
        request,
        "matching_help/index.html",
        {"form": form, "viewer_tz": tz, **_mine_context(user)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def mine(request: AuthedRequest) -> HttpResponse:
    return render(request, "matching_help/_mine.html", _mine_context(request.user))


def _request_or_404(user: User, request_id: int) -> HelpRequest:
    return selectors.access_help_request(user=user, request_id=request_id)


@login_required
@require_GET
def detail(request: AuthedRequest, request_id: int) -> HttpResponse:
    user = request.user
    help_request = _request_or_404(user, request_id)
    context = {"r": help_request, "viewer_tz": tz_name_of(user)}
    if is_htmx(request) or request.GET.get("partial"):
        return render(request, "matching_help/_request.html", context)
    return render(request, "matching_help/detail.html", context)


@login_required
@require_POST
def cancel(request: AuthedRequest, request_id: int) -> HttpResponse:
    user = request.user
    try:
        services.help_request_cancel(actor=user, request_id=request_id)
    except REFUSALS as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Request cancelled.")
    return redirect("matching_help:detail", request_id)


def _offers_context(user: User) -> dict[str, object]:
    offers = list(selectors.offers_for(user=user)[:50])
    return {
        "pending": [o for o in offers if o.is_pending and o.request.is_open],
        "past": [o for o in offers if not (o.is_pending and o.request.is_open)],
        "viewer_tz": tz_name_of(user),
    }


@login_required
@require_GET
def offers(request: AuthedRequest) -> HttpResponse:
    user = request.user
    template = (
        "matching_help/_offers.html"
        if is_htmx(request) or request.GET.get("partial")
        else "matching_help/offers.html"
    )
    return render(request, template, _offers_context(user))


@login_required
@require_POST
def offer_accept(request: AuthedRequest, offer_id: int) -> HttpResponse:
    user = request.user
    try:
        offer = services.help_offer_accept(actor=user, offer_id=offer_id)
    except REFUSALS as exc:
        messages.error(request, exc.message)
        return redirect("matching_help:offers")
    messages.success(request, "It is yours: the session is confirmed.")
    assert offer.request.booking_id is not None
    return redirect("scheduling:detail", offer.request.booking_id)


@login_required
@require_POST
def offer_decline(request: AuthedRequest, offer_id: int) -> HttpResponse:
    user = request.user
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.help_offer_decline(actor=user, offer_id=offer_id, reason=reason)
    except REFUSALS as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, "Declined. Thanks for answering.")
    return redirect("matching_help:offers")
