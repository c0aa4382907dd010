"""Writes for accounts. Each function owns its transaction and its rules."""

from __future__ import annotations

import itertools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from peerlearn.common import hooks
from peerlearn.common.errors import Conflict, Forbidden, Invalid, NotFound
from peerlearn.common.uploads import DOCUMENT_TYPES, IMAGE_TYPES, check_upload, reencode_image

from . import selectors
from .audit import audit_record
from .hooks import TutorProfileChanged
from .models import (
    AvailabilityException,
    AvailabilityWindow,
    DocumentAccessLog,
    LearningStyle,
    LearningSubject,
    Level,
    Profile,
    SessionFormat,
    Subject,
    TeachingSubject,
    User,
    VerificationDecision,
    VerificationRequest,
)
from .roles import require_moderator
from .tasks import send_verification_decision_email

LANGUAGE_CODES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "sv": "Swedish",
    "fi": "Finnish",
    "el": "Greek",
    "tr": "Turkish",
    "ar": "Arabic",
    "hi": "Hindi",
    "bn": "Bengali",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "id": "Indonesian",
    "sw": "Swahili",
    "fa": "Persian",
    "he": "Hebrew",
}


def _require_self_or_admin(actor: User, target: User) -> None:
    if actor.pk != target.pk and not actor.has_perm("accounts.change_profile"):
        raise Forbidden("You can only change your own profile.")


def _search_document_follows(user: User) -> None:
    """The person's search document (``matching.TutorDocument``: full text and weekly
    availability bits) follows their profile, teaching subjects and windows, in the same
    transaction as the change (matching handles the hook: accounts/hooks.py)."""
    hooks.publish(TutorProfileChanged(user=user), on_commit=False)


def _home_showcase_changed() -> None:
    """The home page's cached counts and featured tutors are forgotten now and once the change
    is committed (a visitor between the two would have cached the old state)."""
    selectors.home_showcase_forget()
    transaction.on_commit(selectors.home_showcase_forget)


def profile_ensure(*, user: User) -> Profile:
    """Every user has a profile; created on first need."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def user_create_linked(
    *, email: str, display_name: str, email_verified: bool, institution_id: int | None
) -> User:
    """An account for someone arriving from a linked system (an LMS launch, see peerlearn.lti)
    that vouches for who they are. No password: they come back through that system, or set
    one with a reset. The email counts as verified only when the system is trusted to verify
    it; the institution is the system's."""
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(email=email)
    EmailAddress.objects.create(user=user, email=user.email, verified=email_verified, primary=True)
    profile = profile_ensure(user=user)
    profile.display_name = display_name[:80]
    profile.institution_id = institution_id
    profile.save(update_fields=["display_name", "institution", "updated_at"])
    return user


def institution_join(*, user: User, institution_id: int) -> bool:
    """Join an institution when the user has none yet (a linked system's); never moves someone
    from the institution they already belong to. Returns True when it changed."""
    profile = profile_ensure(user=user)
    if profile.institution_id is not None:
        return False
    profile.institution_id = institution_id
    profile.save(update_fields=["institution", "updated_at"])
    return True


def institution_link_from_email(*, user: User, email: str) -> bool:
    """Called when ``email`` has just been verified: join the institution that owns its domain.

    Returns True when the user's institution changed."""
    institution = selectors.institution_for_email(email)
    if institution is None:
        return False
    profile = profile_ensure(user=user)
    if profile.institution_id == institution.pk:
        return False
    profile.institution = institution
    profile.save(update_fields=["institution", "updated_at"])
    return True


@dataclass
class ProfileInput:
    display_name: str
    bio: str = ""
    programme: str = ""
    year_of_study: int | None = None
    timezone: str = "UTC"
    languages: list[str] | None = None
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    learning_styles: list[str] | None = None
    session_formats: list[str] | None = None


def _check_choices(values: Iterable[str], allowed: Iterable[str], field: str) -> list[str]:
    allowed_set = set(allowed)
    cleaned = []
    for value in values:
        if value not in allowed_set:
            raise Invalid(f"Unknown value {value!r}.", code="invalid_choice", field=field)
        if value not in cleaned:
            cleaned.append(value)
    return cleaned


def profile_update(*, actor: User, user: User, data: ProfileInput) -> Profile:
    """Replace the editable profile fields. The institution is not editable here: it comes from
    a verified institutional email address."""
    _require_self_or_admin(actor, user)
    if not data.display_name.strip():
        raise Invalid("A display name is required.", code="required", field="display_name")
    if data.timezone not in zoneinfo.available_timezones():
        raise Invalid("Unknown time zone.", code="invalid_timezone", field="timezone")
    if (data.latitude is None) != (data.longitude is None):
        raise Invalid(
            "Give both latitude and longitude, or neither.",
            code="invalid_location",
            field="latitude",
        )
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        raise Invalid(
            "Latitude must be between -90 and 90.", code="invalid_location", field="latitude"
        )
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        raise Invalid(
            "Longitude must be between -180 and 180.", code="invalid_location", field="longitude"
        )
    if data.year_of_study is not None and not 1 <= data.year_of_study <= 10:
        raise Invalid(
            "Year of study must be between 1 and 10.", code="invalid_year", field="year_of_study"
        )
    profile = profile_ensure(user=user)
    profile.display_name = data.display_name.strip()[:80]
    profile.bio = data.bio.strip()[:2000]
    profile.programme = data.programme.strip()[:120]
    profile.year_of_study = data.year_of_study
    profile.timezone = data.timezone
    profile.languages = _check_choices(data.languages or [], LANGUAGE_CODES, "languages")
    profile.city = data.city.strip()[:120]
    profile.latitude = data.latitude
    profile.longitude = data.longitude
    profile.learning_styles = _check_choices(
        data.learning_styles or [], LearningStyle.values, "learning_styles"
    )
    profile.session_formats = _check_choices(
        data.session_formats or [], SessionFormat.values, "session_formats"
    )
    profile.save()
    _search_document_follows(user)
    return profile


def avatar_set(*, actor: User, user: User, upload: UploadedFile) -> Profile:
    """Validate the image by content, store a 512px re-encoded copy and a 96px square thumbnail."""
    _require_self_or_admin(actor, user)
    checked = check_upload(upload, allowed=IMAGE_TYPES, max_bytes=5 * 1024 * 1024, field="avatar")
    profile = profile_ensure(user=user)
    old = [profile.avatar.name, profile.avatar_thumbnail.name]
    stem = checked.storage_name().rsplit(".", 1)[0]
    profile.avatar.save(f"{stem}.webp", reencode_image(checked.content, max_side=512), save=False)
    profile.avatar_thumbnail.save(
        f"{stem}-thumb.webp", reencode_image(checked.content, max_side=96, square=True), save=False
    )
    profile.save(update_fields=["avatar", "avatar_thumbnail", "updated_at"])
    storage = profile.avatar.storage
    for name in filter(None, old):
        transaction.on_commit(partial(storage.delete, name))
    return profile


def avatar_remove(*, actor: User, user: User) -> Profile:
    _require_self_or_admin(actor, user)
    profile = profile_ensure(user=user)
    for field in (profile.avatar, profile.avatar_thumbnail):
        if field:
            field.delete(save=False)
    profile.save(update_fields=["avatar", "avatar_thumbnail", "updated_at"])
    return profile


def _get_subject(subject_id: int, *, allow_area: bool = False) -> Subject:
    try:
        subject = Subject.objects.get(pk=subject_id)
    except Subject.DoesNotExist as exc:
        raise Invalid("Unknown subject.", code="invalid_subject", field="subject") from exc
    if subject.kind == Subject.Kind.AREA and not allow_area:
        raise Invalid(
            "Pick a subject or a topic, not a whole area.", code="invalid_subject", field="subject"
        )
    return subject


def learning_subject_set(*, actor: User, subject_id: int, level: str) -> LearningSubject:
    if level not in Level.values:
        raise Invalid("Unknown level.", code="invalid_choice", field="level")
    subject = _get_subject(subject_id)
    item, _ = LearningSubject.objects.update_or_create(
        user=actor, subject=subject, defaults={"level": level}
    )
    return item


def learning_subject_remove(*, actor: User, subject_id: int) -> None:
    deleted, _ = LearningSubject.objects.filter(user=actor, subject_id=subject_id).delete()
    if not deleted:
        raise NotFound("You are not learning that subject.")


def teaching_subject_set(
    *, actor: User, subject_id: int, proficiency: str, evidence: str = ""
) -> TeachingSubject:
    """Offer (or update) a subject to teach. A learner who starts teaching becomes a tutor.
    Changing the evidence of a verified subject keeps the verification: the document is what
    was checked, not the free-text note."""
    if proficiency not in Level.values:
        raise Invalid("Unknown proficiency.", code="invalid_choice", field="proficiency")
    subject = _get_subject(subject_id)
    with transaction.atomic():
        item, _ = TeachingSubject.objects.update_or_create(
            user=actor,
            subject=subject,
            defaults={"proficiency": proficiency, "evidence": evidence.strip()[:200]},
        )
        if actor.role == User.Role.LEARNER:
            actor.role = User.Role.TUTOR
            actor.save(update_fields=["role"])
        _search_document_follows(actor)
        _home_showcase_changed()
    return item


def teaching_subject_remove(*, actor: User, subject_id: int) -> None:
    deleted, _ = TeachingSubject.objects.filter(user=actor, subject_id=subject_id).delete()
    if not deleted:
        raise NotFound("You are not teaching that subject.")
    _search_document_follows(actor)
    _home_showcase_changed()


@dataclass(frozen=True)
class WindowInput:
    weekday: int
    start_time: time
    end_time: time


def availability_replace(
    *, actor: User, user: User, windows: list[WindowInput]
) -> list[AvailabilityWindow]:
    """Replace the whole weekly pattern. Windows on one day must not overlap; times are the
    owner's wall-clock times in their profile time zone."""
    _require_self_or_admin(actor, user)
    by_day: dict[int, list[WindowInput]] = {}
    for index, w in enumerate(windows):
        if not 0 <= w.weekday <= 6:
            raise Invalid(
                "Weekday must be 0 (Monday) to 6 (Sunday).",
                code="invalid_weekday",
                field=f"windows.{index}.weekday",
            )
        if w.start_time >= w.end_time:
            raise Invalid(
                "A window must end after it starts.",
                code="invalid_window",
                field=f"windows.{index}.end_time",
            )
        by_day.setdefault(w.weekday, []).append(w)
    if len(windows) > 70:
        raise Invalid("At most 70 windows a week.", code="too_many_windows", field="windows")
    for day_windows in by_day.values():
        day_windows.sort(key=lambda w: w.start_time)
        for earlier, later in itertools.pairwise(day_windows):
            if later.start_time < earlier.end_time:
                raise Invalid(
                    f"Windows overlap on {selectors.WEEKDAY_NAMES[earlier.weekday]}.",
                    code="overlapping_windows",
                    field="windows",
                )
    with transaction.atomic():
        AvailabilityWindow.objects.filter(user=user).delete()
        created = AvailabilityWindow.objects.bulk_create(
            AvailabilityWindow(
                user=user, weekday=w.weekday, start_time=w.start_time, end_time=w.end_time
            )
            for w in sorted(windows, key=lambda w: (w.weekday, w.start_time))
        )
        _search_document_follows(user)
    return created


def availability_exception_add(
    *,
    actor: User,
    on: date,
    kind: str,
    start_time: time | None = None,
    end_time: time | None = None,
    note: str = "",
) -> AvailabilityException:
    if kind not in AvailabilityException.Kind.values:
        raise Invalid("Unknown kind of exception.", code="invalid_choice", field="kind")
    if (start_time is None) != (end_time is None):
        raise Invalid(
            "Give both start and end, or neither for the whole day.",
            code="invalid_window",
            field="end_time",
        )
    if start_time is not None and end_time is not None and start_time >= end_time:
        raise Invalid("The end must come after the start.", code="invalid_window", field="end_time")
    if kind == AvailabilityException.Kind.AVAILABLE and start_time is None:
        raise Invalid(
            "Extra availability needs a start and an end.",
            code="invalid_window",
            field="start_time",
        )
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(profile_ensure(user=actor).timezone)).date()
    if on < today:
        raise Invalid("That date has passed.", code="date_in_past", field="date")
    return AvailabilityException.objects.create(
        user=actor,
        date=on,
        kind=kind,
        start_time=start_time,
        end_time=end_time,
        note=note.strip()[:120],
    )


def availability_exception_remove(*, actor: User, exception_id: int) -> None:
    deleted, _ = AvailabilityException.objects.filter(user=actor, pk=exception_id).delete()
    if not deleted:
        raise NotFound("No such exception.")


def verification_submit(
    *, actor: User, subject_id: int, upload: UploadedFile, note: str = ""
) -> VerificationRequest:
    """Upload evidence (PDF or image) for one of the actor's teaching subjects. Only one
    request per subject can be pending; a verified subject can be re-submitted."""
    try:
        teaching = TeachingSubject.objects.get(user=actor, subject_id=subject_id)
    except TeachingSubject.DoesNotExist as exc:
        raise Invalid(
            "Add the subject to what you teach first.", code="not_teaching", field="subject"
        ) from exc
    checked = check_upload(upload, allowed={**DOCUMENT_TYPES, **IMAGE_TYPES}, field="document")
    try:
        with transaction.atomic():
            request = VerificationRequest(
                teaching_subject=teaching,
                original_name=checked.original_name,
                content_type=checked.content_type,
                size=len(checked.content),
                note=note.strip()[:300],
            )
            request.document.save(checked.storage_name(), ContentFile(checked.content), save=False)
            request.save()
    except IntegrityError as exc:
        raise Conflict(
            "A request for this subject is already waiting for a moderator.", code="already_pending"
        ) from exc
    return request


def verification_decide(
    *, actor: User, request_id: int, approve: bool, reason: str
) -> VerificationDecision:
    """A moderator approves or rejects a pending request. The decision is recorded (who, when,
    why), the subject's verified mark follows, and the tutor is emailed after commit."""
    require_moderator(actor, "Only moderators decide verification requests.")
    reason = reason.strip()
    if not reason:
        raise Invalid("Give a reason; the tutor will see it.", code="required", field="reason")
    with transaction.atomic():
        try:
            request = (
                VerificationRequest.objects.select_for_update()
                .select_related("teaching_subject")
                .get(pk=request_id)
            )
        except VerificationRequest.DoesNotExist as exc:
            raise NotFound("No such request.") from exc
        if request.status != VerificationRequest.Status.PENDING:
            raise Conflict("This request has already been decided.", code="already_decided")
        if request.teaching_subject.user_id == actor.pk:
            raise Forbidden("You cannot decide your own request.")
        status = (
            VerificationRequest.Status.APPROVED if approve else VerificationRequest.Status.REJECTED
        )
        request.status = status
        request.save(update_fields=["status"])
        decision = VerificationDecision.objects.create(
            request=request, moderator=actor, decision=status, reason=reason[:1000]
        )
        teaching = request.teaching_subject
        if approve:
            teaching.verified_at = timezone.now()
            teaching.save(update_fields=["verified_at"])
            _home_showcase_changed()
        audit_record(
            actor=actor,
            action="accounts.verification_approve" if approve else "accounts.verification_reject",
            target=request,
            reason=reason,
        )
        transaction.on_commit(lambda: send_verification_decision_email.enqueue(decision.pk))
    return decision


def verification_document_opened(*, actor: User, request: VerificationRequest) -> None:
    DocumentAccessLog.objects.create(request=request, user=actor)
