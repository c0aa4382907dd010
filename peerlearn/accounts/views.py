"""Web pages for profiles, subjects, availability, institutions and tutor verification."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from peerlearn.common.errors import ServiceError
from peerlearn.common.web import form_error, paginate

from . import datarights, selectors, services
from .forms import (
    AvailabilityExceptionForm,
    AvatarForm,
    LearningSubjectForm,
    ProfileForm,
    TeachingSubjectForm,
    VerificationDecisionForm,
    VerificationUploadForm,
    WeeklyAvailabilityForm,
)
from .models import LearningStyle, SessionFormat, User, VerificationRequest
from .requests import AuthedRequest
from .services import LANGUAGE_CODES


def _viewer_tz(request: HttpRequest) -> str:
    return str(timezone.get_current_timezone())


def profile_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    person = selectors.user_get_public(user_id=user_id)
    services.profile_ensure(user=person)
    distance = None
    if request.user.is_authenticated and request.user.pk != person.pk:
        viewer_profile = services.profile_ensure(user=request.user)
        distance = selectors.rounded_distance_km(viewer_profile, person.profile)
    grid = selectors.availability_week_grid(owner=person, viewer_tz=_viewer_tz(request))
    return render(
        request,
        "accounts/profile_detail.html",
        {
            "person": person,
            "profile": person.profile,
            "distance_km": distance,
            "grid": grid,
            "is_self": request.user.pk == person.pk,
            "languages": [LANGUAGE_CODES.get(c, c) for c in person.profile.languages],
            "styles": [LearningStyle(s).label for s in person.profile.learning_styles],
            "formats": [SessionFormat(f).label for f in person.profile.session_formats],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthedRequest) -> HttpResponse:
    user: User = request.user
    profile = services.profile_ensure(user=user)
    initial = {
        f: getattr(profile, f)
        for f in (
            "display_name",
            "bio",
            "programme",
            "year_of_study",
            "timezone",
            "languages",
            "city",
            "latitude",
            "longitude",
            "learning_styles",
            "session_formats",
        )
    }
    form = ProfileForm(request.POST or None, initial=initial)
    avatar_form = AvatarForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(actor=user, user=user, data=form.to_input())
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile_edit")
    return render(
        request,
        "accounts/profile_edit.html",
        {"form": form, "avatar_form": avatar_form, "profile": profile},
    )


@login_required
@require_POST
def avatar_upload(request: AuthedRequest) -> HttpResponse:
    user: User = request.user
    form = AvatarForm(request.POST, request.FILES)
    if request.POST.get("remove"):
        services.avatar_remove(actor=user, user=user)
        messages.success(request, "Your photo was removed.")
        return redirect("accounts:profile_edit")
    if form.is_valid():
        try:
            services.avatar_set(actor=user, user=user, upload=form.cleaned_data["avatar"])
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Your new photo is up.")
    else:
        messages.error(request, "Choose an image to upload.")
    return redirect("accounts:profile_edit")


@login_required
@require_http_methods(["GET", "POST"])
def subjects_edit(request: AuthedRequest) -> HttpResponse:
    user: User = request.user
    learn_form = LearningSubjectForm(prefix="learn")
    teach_form = TeachingSubjectForm(prefix="teach")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "learn":
                learn_form = LearningSubjectForm(request.POST, prefix="learn")
                if learn_form.is_valid():
                    services.learning_subject_set(
                        actor=user,
                        subject_id=learn_form.cleaned_data["subject"],
                        level=learn_form.cleaned_data["level"],
                    )
                    messages.success(request, "Added to what you are learning.")
                    return redirect("accounts:subjects_edit")
            elif action == "teach":
                teach_form = TeachingSubjectForm(request.POST, prefix="teach")
                if teach_form.is_valid():
                    services.teaching_subject_set(
                        actor=user,
                        subject_id=teach_form.cleaned_data["subject"],
                        proficiency=teach_form.cleaned_data["proficiency"],
                        evidence=teach_form.cleaned_data["evidence"],
                    )
                    messages.success(request, "Added to what you teach.")
                    return redirect("accounts:subjects_edit")
            elif action in {"remove_learn", "remove_teach"}:
                subject_id = int(request.POST.get("subject_id", "0") or 0)
                if action == "remove_learn":
                    services.learning_subject_remove(actor=user, subject_id=subject_id)
                else:
                    services.teaching_subject_remove(actor=user, subject_id=subject_id)
                messages.success(request, "Removed.")
                return redirect("accounts:subjects_edit")
        except (ServiceError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "That did not work."))
    return render(
        request,
        "accounts/subjects_edit.html",
        {
            "learn_form": learn_form,
            "teach_form": teach_form,
            "learning": user.learning_subjects.select_related("subject__parent"),
            "teaching": user.teaching_subjects.select_related("subject__parent"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def availability_edit(request: AuthedRequest) -> HttpResponse:
    user: User = request.user
    profile = services.profile_ensure(user=user)
    windows = selectors.availability_for(user=user)
    form = WeeklyAvailabilityForm(initial_windows=windows)
    exception_form = AvailabilityExceptionForm(prefix="exc")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "weekly":
            form = WeeklyAvailabilityForm(request.POST, initial_windows=windows)
            if form.is_valid():
                parsed = form.windows()
                if not form.errors:
                    try:
                        services.availability_replace(actor=user, user=user, windows=parsed)
                    except ServiceError as exc:
                        form_error(form, exc)
                    else:
                        messages.success(request, "Your weekly availability is saved.")
                        return redirect("accounts:availability_edit")
        elif action == "exception":
            exception_form = AvailabilityExceptionForm(request.POST, prefix="exc")
            if exception_form.is_valid():
                d = exception_form.cleaned_data
                try:
                    services.availability_exception_add(
                        actor=user,
                        on=d["date"],
                        kind=d["kind"],
                        start_time=d["start_time"],
                        end_time=d["end_time"],
                        note=d["note"],
                    )
                except ServiceError as exc:
                    form_error(exception_form, exc)
                else:
                    messages.success(request, "Exception added.")
                    return redirect("accounts:availability_edit")
        elif action == "remove_exception":
            try:
                services.availability_exception_remove(
                    actor=user, exception_id=int(request.POST.get("exception_id") or 0)
                )
            except (ServiceError, ValueError):
                messages.error(request, "That exception no longer exists.")
            else:
                messages.success(request, "Exception removed.")
            return redirect("accounts:availability_edit")
    today = timezone.localdate()
    return render(
        request,
        "accounts/availability_edit.html",
        {
            "form": form,
            "exception_form": exception_form,
            "exceptions": selectors.availability_exceptions_for(user=user, from_date=today),
            "grid": selectors.availability_week_grid(owner=user, viewer_tz=profile.timezone),
            "profile": profile,
        },
    )


def institution_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.institution_list_with_member_counts(), per_page=24)
    return render(request, "accounts/institution_list.html", {"page": page})


def subject_catalogue(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/subject_catalogue.html", {"areas": selectors.subject_tree()})


@login_required
@require_http_methods(["GET", "POST"])
def verification_mine(request: AuthedRequest) -> HttpResponse:
    user: User = request.user
    teaching = list(user.teaching_subjects.select_related("subject"))
    form = VerificationUploadForm(teaching=teaching)
    if request.method == "POST":
        form = VerificationUploadForm(request.POST, request.FILES, teaching=teaching)
        if form.is_valid():
            try:
                services.verification_submit(
                    actor=user,
                    subject_id=form.cleaned_data["subject"],
                    upload=form.cleaned_data["document"],
                    note=form.cleaned_data["note"],
                )
            except ServiceError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Evidence uploaded. A moderator will review it.")
                return redirect("accounts:verification_mine")
    return render(
        request,
        "accounts/verification_mine.html",
        {
            "form": form,
            "teaching": teaching,
            "requests": selectors.verification_requests_for(user=user),
        },
    )


@login_required
def verification_queue(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", VerificationRequest.Status.PENDING)
    if status not in VerificationRequest.Status.values:
        status = VerificationRequest.Status.PENDING
    page = paginate(request, selectors.verification_queue(actor=request.user, status=status))
    return render(
        request,
        "accounts/verification_queue.html",
        {"page": page, "status": status, "statuses": VerificationRequest.Status.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def verification_review(request: AuthedRequest, request_id: int) -> HttpResponse:
    moderator = request.user
    item = selectors.access_verification_for_decision(actor=moderator, request_id=request_id)
    form = VerificationDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verification_decide(
                actor=moderator,
                request_id=item.pk,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Decision recorded; the tutor has been emailed.")
            return redirect("accounts:verification_queue")
    return render(request, "accounts/verification_review.html", {"item": item, "form": form})


@login_required
def verification_document(request: AuthedRequest, request_id: int) -> FileResponse:
    """The only way to fetch a verification document: owner or moderator, always as a download."""
    user: User = request.user
    item = selectors.access_verification_document(user=user, request_id=request_id)
    services.verification_document_opened(actor=user, request=item)
    response = FileResponse(
        item.document.open("rb"),
        as_attachment=True,
        filename=item.original_name,
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- your data: export and deletion ----------------------------------------------------------


@login_required
@reauthentication_required
def account_data(request: AuthedRequest) -> HttpResponse:
    """Export and deletion: a page only shown after the password (or MFA) was just confirmed."""
    user: User = request.user
    context = {
        "exports": user.data_exports.order_by("-created_at")[:5],
        "now": timezone.now(),
        "grace_days": settings.ACCOUNT_DELETION_GRACE_DAYS,
        "ttl_hours": settings.DATA_EXPORT_TTL_HOURS,
    }
    return render(request, "accounts/account_data.html", context)


def _data_action(request: AuthedRequest, action: str) -> HttpResponse:
    user = request.user
    if request.method != "POST":  # back from re-authenticating: show the page to press again
        return redirect("accounts:account_data")
    try:
        if action == "export":
            datarights.data_export_request(actor=user)
            messages.success(request, "We are preparing your archive; you will be notified.")
        elif action == "delete":
            datarights.account_deletion_request(actor=user)
            messages.success(request, "Your account is scheduled for deletion.")
        else:
            datarights.account_deletion_cancel(actor=user)
            messages.success(request, "Your account will not be deleted.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:account_data")


@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required
def account_export(request: AuthedRequest) -> HttpResponse:
    return _data_action(request, "export")


@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required
def account_delete(request: AuthedRequest) -> HttpResponse:
    return _data_action(request, "delete")


@login_required
@require_POST
def account_delete_cancel(request: AuthedRequest) -> HttpResponse:
    return _data_action(request, "undo")


@login_required
def account_export_download(request: AuthedRequest, export_id: int) -> FileResponse:
    """The owner's archive, while it lasts; always a download."""
    user: User = request.user
    export = datarights.access_data_export(user=user, export_id=export_id)
    response = FileResponse(
        export.archive.open("rb"),
        as_attachment=True,
        filename=(export.archive.name or "peerlearn-data.zip").rsplit("/", 1)[-1],
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
