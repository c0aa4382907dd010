"""Web pages: the notification list (mark one or all read) and the delivery settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import ServiceError
from peerlearn.common.web import form_error, paginate, safe_next

from . import selectors, services
from .forms import NotificationSettingsForm, preference_initial
from .models import CHANNEL_LABELS, CHANNELS

PER_PAGE = 20


@login_required
@require_GET
def notification_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    unread_only = request.GET.get("filter") == "unread"
    page = paginate(
        request, selectors.notification_list(user, unread_only=unread_only), per_page=PER_PAGE
    )
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_total": selectors.unread_count(user),
            "extra_query": "filter=unread" if unread_only else "",
        },
    )


@login_required
@require_POST
def notification_read(request: AuthedRequest, notification_id: int) -> HttpResponse:
    """Mark it read, then go where it points (or back to the list)."""
    notification = services.notification_mark_read(
        actor=request.user, notification_id=notification_id
    )
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("notifications:list")
    return redirect(target)


@login_required
@require_POST
def notifications_read_all(request: AuthedRequest) -> HttpResponse:
    changed = services.notifications_mark_all_read(actor=request.user)
    if changed:
        noun = "notification" if changed == 1 else "notifications"
        messages.success(request, f"Marked {changed} {noun} read.")
    # The bell's dropdown sends the page it was on; anything not on this site is ignored.
    return redirect(safe_next(request, reverse("notifications:list")))


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: AuthedRequest) -> HttpResponse:
    user = request.user
    prefs = selectors.delivery_settings(user)
    initial = {
        "phone_number": prefs.phone_number,
        "sms_opt_in": prefs.sms_opt_in,
        "reminder_offsets_minutes": prefs.reminder_offsets_minutes,
        "email_enabled": prefs.email_enabled,
        "digest_enabled": prefs.digest_enabled,
        **preference_initial(prefs),
    }
    form = NotificationSettingsForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        current_offsets=prefs.reminder_offsets_minutes,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.notification_settings_update(
                    actor=user,
                    phone_number=data["phone_number"],
                    sms_opt_in=data["sms_opt_in"],
                    reminder_offsets_minutes=data["reminder_offsets_minutes"],
                    email_enabled=data["email_enabled"],
                )
                if data["grid"]:
                    services.notification_preferences_update(
                        actor=user,
                        digest_enabled=data["digest_enabled"],
                        preferences=form.preferences(),
                    )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Your notification settings are saved.")
            return redirect("notifications:settings")
    return render(
        request,
        "notifications/settings.html",
        {
            "form": form,
            "settings": prefs,
            "channels": [CHANNEL_LABELS[c] for c in CHANNELS],
        },
    )
