"""JSON API for accounts: the caller's profile, subjects, availability and verification; public
profiles; institutions and the subject catalogue; the moderators' verification queue.

Operations are adapters: parse, call a selector or a service, return. Writes only ever touch the
caller (``/me/...``); there is no operation that writes another person's data by id.
"""

# No ``from __future__ import annotations`` here: ninja reads the parameter annotations of an
# operation at import time, and for @paginate-wrapped operations it resolves string annotations
# in ninja's own module, where ``date`` and the models do not exist.
import dataclasses
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Status, UploadedFile
from ninja.pagination import paginate

from peerlearn.accounts import selectors, services
from peerlearn.accounts.models import (
    AvailabilityException,
    AvailabilityWindow,
    Institution,
    LearningSubject,
    Profile,
    Subject,
    TeachingSubject,
    User,
    VerificationDecision,
    VerificationRequest,
)
from peerlearn.accounts.schemas import (
    AvailabilityIn,
    AvailabilityOut,
    DecisionIn,
    DecisionOut,
    ExceptionIn,
    ExceptionOut,
    InstitutionOut,
    LearningSubjectIn,
    LearningSubjectOut,
    MeOut,
    OwnProfileOut,
    ProfileIn,
    ProfilePatchIn,
    PublicAvailabilityOut,
    PublicProfileOut,
    QueueItemOut,
    SubjectNode,
    TeachingSubjectIn,
    TeachingSubjectOut,
    VerificationOut,
)
from peerlearn.api.auth import optional_user, request_user
from peerlearn.api.errors import ERROR_RESPONSES
from peerlearn.api.helpers import api_field_names, ok, require_timezone
from peerlearn.api.pages import Page

me = Router(tags=["me"])
people = Router(tags=["people"], auth=None)
catalogue = Router(tags=["catalogue"], auth=None)
verification = Router(tags=["verification"])

router = Router()
router.add_router("", me)
router.add_router("", people)
router.add_router("", catalogue)
router.add_router("", verification)

NO_CONTENT: dict[Any, Any] = {204: None, **ERROR_RESPONSES}


def _profile_input(profile: Profile) -> services.ProfileInput:
    """The profile's current editable values, as the service takes them."""
    names = [f.name for f in dataclasses.fields(services.ProfileInput)]
    return services.ProfileInput(**{name: getattr(profile, name) for name in names})


def _person(user_id: int) -> User:
    """An active user with profile and subjects loaded; the profile is created on first need."""
    person = selectors.user_get_public(user_id=user_id)
    if not hasattr(person, "profile"):
        services.profile_ensure(user=person)
        person = selectors.user_get_public(user_id=user_id)
    return person


# --- me: profile ------------------------------------------------------------------------------


@me.get("/me", response=ok(MeOut), summary="The caller, with profile and subjects")
def me_get(request: HttpRequest) -> User:
    return _person(request_user(request).pk)


@me.put("/me/profile", response=ok(OwnProfileOut), summary="Replace the editable profile")
def profile_put(request: HttpRequest, payload: ProfileIn) -> Profile:
    user = request_user(request)
    data = services.ProfileInput(**payload.model_dump(mode="json"))
    return services.profile_update(actor=user, user=user, data=data)


@me.patch("/me/profile", response=ok(OwnProfileOut), summary="Change some profile fields")
def profile_patch(request: HttpRequest, payload: ProfilePatchIn) -> Profile:
    user = request_user(request)
    current = _profile_input(services.profile_ensure(user=user))
    changes = payload.model_dump(mode="json", exclude_unset=True)
    data = dataclasses.replace(current, **changes)
    return services.profile_update(actor=user, user=user, data=data)


@me.post(
    "/me/avatar", response=ok(OwnProfileOut), summary="Upload an avatar (PNG, JPEG, WebP, GIF)"
)
def avatar_post(request: HttpRequest, avatar: File[UploadedFile]) -> Profile:
    user = request_user(request)
    return services.avatar_set(actor=user, user=user, upload=avatar)


@me.delete("/me/avatar", response=ok(OwnProfileOut), summary="Remove the avatar")
def avatar_delete(request: HttpRequest) -> Profile:
    user = request_user(request)
    return services.avatar_remove(actor=user, user=user)


# --- me: subjects -----------------------------------------------------------------------------


@me.get("/me/learning-subjects", response=ok(list[LearningSubjectOut]))
def learning_subjects_list(request: HttpRequest) -> list[LearningSubject]:
    return list(_person(request_user(request).pk).learning_subjects.all())


@me.post(
    "/me/learning-subjects", response=ok(LearningSubjectOut), summary="Add or update (by subject)"
)
def learning_subject_post(request: HttpRequest, payload: LearningSubjectIn) -> LearningSubject:
    with api_field_names(subject="subject_id"):
        return services.learning_subject_set(
            actor=request_user(request), subject_id=payload.subject_id, level=payload.level.value
        )


@me.delete("/me/learning-subjects/{subject_id}", response=NO_CONTENT)
def learning_subject_delete(request: HttpRequest, subject_id: int) -> Status[None]:
    services.learning_subject_remove(actor=request_user(request), subject_id=subject_id)
    return Status(204, None)


@me.get("/me/teaching-subjects", response=ok(list[TeachingSubjectOut]))
def teaching_subjects_list(request: HttpRequest) -> list[TeachingSubject]:
    return list(_person(request_user(request).pk).teaching_subjects.all())


@me.post(
    "/me/teaching-subjects", response=ok(TeachingSubjectOut), summary="Add or update (by subject)"
)
def teaching_subject_post(request: HttpRequest, payload: TeachingSubjectIn) -> TeachingSubject:
    with api_field_names(subject="subject_id"):
        return services.teaching_subject_set(
            actor=request_user(request),
            subject_id=payload.subject_id,
            proficiency=payload.proficiency.value,
            evidence=payload.evidence,
        )


@me.delete("/me/teaching-subjects/{subject_id}", response=NO_CONTENT)
def teaching_subject_delete(request: HttpRequest, subject_id: int) -> Status[None]:
    services.teaching_subject_remove(actor=request_user(request), subject_id=subject_id)
    return Status(204, None)


# --- me: availability -------------------------------------------------------------------------


def _availability(user: User, windows: list[AvailabilityWindow]) -> dict[str, Any]:
    return {"timezone": services.profile_ensure(user=user).timezone, "windows": windows}


@me.get("/me/availability", response=ok(AvailabilityOut), summary="The weekly pattern")
def availability_get(request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    return _availability(user, selectors.availability_for(user=user))


@me.put("/me/availability", response=ok(AvailabilityOut), summary="Replace the weekly pattern")
def availability_put(request: HttpRequest, payload: AvailabilityIn) -> dict[str, Any]:
    user = request_user(request)
    windows = [
        services.WindowInput(weekday=w.weekday, start_time=w.start_time, end_time=w.end_time)
        for w in payload.windows
    ]
    services.availability_replace(actor=user, user=user, windows=windows)
    return _availability(user, selectors.availability_for(user=user))


@me.get("/me/availability/exceptions", response=ok(list[ExceptionOut]))
@paginate(Page)
def exceptions_list(
    request: HttpRequest, from_date: date | None = None
) -> list[AvailabilityException]:
    """Dated exceptions from ``from_date`` (default: all, past ones included)."""
    return selectors.availability_exceptions_for(user=request_user(request), from_date=from_date)


@me.post("/me/availability/exceptions", response=ok(ExceptionOut, 201))
def exception_post(request: HttpRequest, payload: ExceptionIn) -> Status[AvailabilityException]:
    created = services.availability_exception_add(
        actor=request_user(request),
        on=payload.date,
        kind=payload.kind.value,
        start_time=payload.start_time,
        end_time=payload.end_time,
        note=payload.note,
    )
    return Status(201, created)


@me.delete("/me/availability/exceptions/{exception_id}", response=NO_CONTENT)
def exception_delete(request: HttpRequest, exception_id: int) -> Status[None]:
    services.availability_exception_remove(actor=request_user(request), exception_id=exception_id)
    return Status(204, None)


# --- me: verification -------------------------------------------------------------------------


@me.post(
    "/me/verifications",
    response=ok(VerificationOut, 201),
    summary="Submit evidence (PDF or image) for a subject you teach",
)
def verification_post(
    request: HttpRequest,
    subject_id: Form[int],
    document: File[UploadedFile],
    note: Form[str] = "",
) -> Status[VerificationRequest]:
    with api_field_names(subject="subject_id"):
        created = services.verification_submit(
            actor=request_user(request), subject_id=subject_id, upload=document, note=note
        )
    return Status(201, created)


@me.get("/me/verifications", response=ok(list[VerificationOut]))
@paginate(Page)
def verifications_mine(request: HttpRequest) -> QuerySet[VerificationRequest]:
    return selectors.verification_requests_for(user=request_user(request))


# --- people -----------------------------------------------------------------------------------


@people.get("/users/{user_id}", response=ok(PublicProfileOut), summary="A public profile")
def user_get(request: HttpRequest, user_id: int) -> PublicProfileOut:
    viewer = optional_user(request)
    person = _person(user_id)
    out = PublicProfileOut.model_validate(person.profile, context={"request": request})
    if viewer is not None and viewer.pk != person.pk:
        viewer_profile = services.profile_ensure(user=viewer)
        out.distance_km = selectors.rounded_distance_km(viewer_profile, person.profile)
    return out


@people.get(
    "/users/{user_id}/availability",
    response=ok(PublicAvailabilityOut),
    summary="Weekly availability; with ?tz= also as a week grid in that zone",
)
def user_availability(
    request: HttpRequest, user_id: int, tz: str | None = None, week_of: date | None = None
) -> dict[str, Any]:
    optional_user(request)  # a presented bad token is still refused
    person = _person(user_id)
    grid = None
    if tz is not None:
        grid = selectors.availability_week_grid(
            owner=person,
            viewer_tz=require_timezone(tz, field="tz"),
            start_hour=0,
            end_hour=24,
            week_of=week_of,
        )
    return {
        "owner_timezone": person.profile.timezone,
        "windows": selectors.availability_for(user=person),
        "grid": grid,
    }


# --- catalogue --------------------------------------------------------------------------------


@catalogue.get("/institutions", response=ok(list[InstitutionOut]))
@paginate(Page)
def institutions_list(request: HttpRequest) -> QuerySet[Institution]:
    """Institutions with their number of active members, largest first."""
    return selectors.institution_list_with_member_counts()


@catalogue.get("/subjects", response=ok(list[SubjectNode]))
def subjects_list(request: HttpRequest, q: str | None = None) -> list[Subject]:
    """The catalogue as a tree (area → subject → topic); with ``?q=`` a flat list of up to 50
    nodes whose name contains ``q``."""
    if q is not None:
        return list(selectors.subject_search(query=q.strip()))
    return selectors.subject_tree()


# --- verification (moderators) ----------------------------------------------------------------


@verification.get(
    "/verifications", response=ok(list[QueueItemOut]), summary="The moderators' queue"
)
@paginate(Page)
def verification_queue(
    request: HttpRequest,
    status: VerificationRequest.Status = VerificationRequest.Status.PENDING,
) -> QuerySet[VerificationRequest]:
    return selectors.verification_queue(actor=request_user(request), status=status.value)


@verification.get(
    "/verifications/{request_id}/document",
    response={200: None, **ERROR_RESPONSES},
    url_name="verification_document",
    summary="Download the evidence (owner or moderator only)",
)
def verification_document(request: HttpRequest, request_id: int) -> FileResponse:
    user = request_user(request)
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


@verification.post(
    "/verifications/{request_id}/decision",
    response=ok(DecisionOut),
    summary="Approve or reject a pending request (moderators)",
)
def verification_decision(
    request: HttpRequest, request_id: int, payload: DecisionIn
) -> VerificationDecision:
    return services.verification_decide(
        actor=request_user(request),
        request_id=request_id,
        approve=payload.approve,
        reason=payload.reason,
    )
