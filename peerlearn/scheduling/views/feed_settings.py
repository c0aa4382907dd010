"""The tutor's booking rules and the private calendar feed address."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import ServiceError
from peerlearn.common.web import form_error

from .. import selectors, services
from ..forms import (
    TutorPolicyForm,
)
from .common import (
    tz_name_of,
)


def _feed_urls(token: str) -> tuple[str, str]:
    https_url = settings.SITE_URL + reverse("scheduling:feed", args=[token])
    return https_url, re.sub(r"^https?://", "webcal://", https_url)


@login_required
@require_http_methods(["GET", "POST"])
def scheduling_settings(request: AuthedRequest) -> HttpResponse:
    viewer = request.user
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
                    form_error(form, exc)
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
            "viewer_tz": tz_name_of(viewer),
            "cutoff_hours": settings.BOOKING_CANCELLATION_CUTOFF_HOURS,
        },
    )
