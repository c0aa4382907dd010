"""The partner page (/practice/partners/): ask for a partner, see your place and expected wait,
leave. Adapters only: the services decide; the status partial is what the page polls every
2 s (the socket, when routed, makes the redirect immediate)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from peerlearn.accounts.models import User
from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import ServiceError
from peerlearn.common.web import form_error, is_htmx
from peerlearn.practice.models import Difficulty

from . import selectors, services
from .forms import PartnerRequestForm


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    user: User = request.user
    form = PartnerRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.request_join(
                actor=user,
                topic=form.cleaned_data["topic"],
                difficulty=form.cleaned_data["difficulty"],
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            if entry.session is not None:  # matched on arrival
                return redirect("practice:session", uid=entry.session.uid)
            return redirect("matching_partners:index")
    status = selectors.queue_status(user=user)
    context = {
        "form": form,
        "status": status,
        "topics": selectors.topics(),
        "difficulties": Difficulty.choices,
        "ratings": selectors.ratings(user=user),
    }
    return render(
        request, "matching_partners/index.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def leave(request: AuthedRequest) -> HttpResponse:
    services.request_leave(actor=request.user)
    return redirect("matching_partners:index")


@login_required
@require_GET
def status(request: AuthedRequest) -> HttpResponse:
    """The status partial. Given ``?request=<id>`` (the entry the page is waiting on), a match
    of that entry sends the page to the session (``HX-Redirect``)."""
    user: User = request.user
    entry = None
    request_id = request.GET.get("request", "")
    if request_id.isdigit():
        entry = selectors.request_for(user=user, request_id=int(request_id))
    queue_status = selectors.queue_status(user=user, request=entry)
    response = render(request, "matching_partners/_status.html", {"status": queue_status})
    if entry is not None and queue_status.session_url and is_htmx(request):
        response["HX-Redirect"] = queue_status.session_url
    return response
