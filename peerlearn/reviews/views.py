"""Review pages: "My reviews", a session's reviews (write, edit, read after reveal), reporting,
and the moderators' queue. Adapters only: parse, call a selector or a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from peerlearn.accounts.requests import AuthedRequest
from peerlearn.accounts.roles import require_moderator
from peerlearn.common.errors import REFUSALS, ServiceError
from peerlearn.common.web import form_error, paginate

from . import selectors, services
from .forms import HideForm, ReportForm, ReviewForm
from .models import Review


@login_required
def my_reviews(request: AuthedRequest) -> HttpResponse:
    user = request.user
    tab = request.GET.get("tab", "pending")
    if tab not in {"pending", "written", "received"}:
        tab = "pending"
    pending = selectors.pending_for(user)
    written = selectors.written_by(user)
    received = selectors.received_by(user)
    tabs = [
        ("pending", "To write", len(pending)),
        ("written", "Written", written.count()),
        ("received", "Received", received.count()),
    ]
    context: dict[str, Any] = {"tab": tab, "tabs": tabs, "pending": pending}
    if tab == "written":
        context["page"] = paginate(request, written)
    elif tab == "received":
        context["page"] = paginate(request, received)
    context["extra_query"] = f"tab={tab}"
    return render(request, "reviews/my_reviews.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def booking_reviews(request: AuthedRequest, booking_id: int) -> HttpResponse:
    user = request.user
    booking = selectors.access_reviewable_booking(user=user, booking_id=booking_id)
    state = selectors.review_state_for(user, booking)
    direction = (
        Review.Direction.OF_LEARNER if booking.tutor_id == user.pk else Review.Direction.OF_TUTOR
    )
    posted_subject = request.POST.get("subject") if request.method == "POST" else None
    if posted_subject is not None or request.method == "POST":
        posted = next((p for p in state.pairs if str(p.subject.pk) == posted_subject), None)
        if posted is None:
            raise Http404("No such person to review.")
        if not (posted.can_write or posted.can_edit):
            messages.error(request, "This review can no longer be written or changed.")
            return redirect(request.path)
    sections = []
    for pair in state.pairs:
        prefix = f"s{pair.subject.pk}"
        form = None
        if pair.can_write or pair.can_edit:
            initial = ReviewForm.initial_from(pair.mine) if pair.mine else None
            bound = posted_subject == str(pair.subject.pk)
            form = ReviewForm(
                request.POST if bound else None, direction=direction, prefix=prefix, initial=initial
            )
            if bound and form.is_valid():
                try:
                    if pair.mine is None:
                        services.review_submit(
                            actor=user,
                            booking_id=booking.pk,
                            subject_id=pair.subject.pk,
                            scores=form.scores(),
                            comment=form.cleaned_data["comment"],
                            tags=form.cleaned_data["tags"],
                        )
                        messages.success(
                            request,
                            f"Thanks — your review of {pair.subject.display_name} is saved.",
                        )
                    else:
                        services.review_edit(
                            actor=user,
                            review_id=pair.mine.pk,
                            scores=form.scores(),
                            comment=form.cleaned_data["comment"],
                            tags=form.cleaned_data["tags"],
                        )
                        messages.success(request, "Your review is updated.")
                    return redirect(request.path)
                except ServiceError as exc:
                    form_error(form, exc)
        sections.append({"pair": pair, "form": form})
    return render(
        request,
        "reviews/booking.html",
        {
            "booking": booking,
            "state": state,
            "sections": sections,
            "is_tutor": booking.tutor_id == user.pk,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report(request: AuthedRequest, review_id: int) -> HttpResponse:
    user = request.user
    review = selectors.access_review(user=user, review_id=review_id)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_report(
                actor=user, review_id=review.pk, reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Thank you. A moderator will look at this review.")
            return redirect(reverse("reviews:booking", args=[review.booking_id]))
    return render(request, "reviews/report.html", {"review": review, "form": form})


@login_required
def moderation(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "reviews/moderation.html",
        {
            "queue": selectors.moderation_queue(actor=request.user),
            "hidden": selectors.hidden_reviews(actor=request.user)[:20],
            "hide_form": HideForm(),
        },
    )


@login_required
@require_POST
def hide(request: AuthedRequest, review_id: int) -> HttpResponse:
    user = request.user
    require_moderator(user)  # before any flash message
    form = HideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for hiding the review.")
        return redirect("reviews:moderation")
    try:
        services.review_hide(actor=user, review_id=review_id, reason=form.cleaned_data["reason"])
    except REFUSALS as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The review is hidden; ratings no longer count it.")
    return redirect("reviews:moderation")


@login_required
@require_POST
def dismiss(request: AuthedRequest, review_id: int) -> HttpResponse:
    user = request.user
    services.review_reports_dismiss(actor=user, review_id=review_id)
    messages.success(request, "Reports dismissed; the review stays.")
    return redirect("reviews:moderation")
