"""A person's rights over their own data: export it, delete the account.

Export: ``data_export_request`` queues ``tasks.build_data_export``, which writes one zip (a JSON
file per kind of data, plus the files the person uploaded) to the private storage, marks it ready
for ``DATA_EXPORT_TTL_HOURS`` and notifies them. Only they can download it (a permission-checked
view); ``data_exports_expire`` deletes the file afterwards.

Deletion: ``account_deletion_request`` schedules it ``ACCOUNT_DELETION_GRACE_DAYS`` ahead (undo with
``account_deletion_cancel`` until then). ``account_delete`` then withdraws the person from every
session that has not started (the others are told), deletes their files and private data, and
anonymises the account row: what they wrote stays readable under "A former member", so threads,
conversations, reviews, the points ledger and rating totals of other people stay consistent.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import zipfile
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from peerlearn.common import hooks, ratelimit
from peerlearn.common.errors import Conflict, NotFound

from .audit import audit_record
from .hooks import AccountErasing, AccountLeaving, AccountNotice, DataExportCollecting
from .lifecycle import end_sessions
from .models import DataExport, Profile, User

logger = logging.getLogger(__name__)

FORMER_MEMBER = "A former member"
DELETED_EMAIL_DOMAIN = "deleted.invalid"
EXPORTS_PER_DAY = 5


# --- export ----------------------------------------------------------------------------------


def data_export_request(*, actor: User) -> DataExport:
    """Queue an archive of ``actor``'s data. One at a time; the notification says when it is
    ready."""
    from .tasks import build_data_export

    ratelimit.check(
        f"data-export:{actor.pk}",
        limit=EXPORTS_PER_DAY,
        window_seconds=86400,
        message=f"At most {EXPORTS_PER_DAY} exports a day: use the one you have.",
    )
    try:
        with transaction.atomic():
            export = DataExport.objects.create(user=actor)
            transaction.on_commit(lambda: build_data_export.enqueue(export.pk))
    except IntegrityError as exc:
        raise Conflict(
            "Your previous export is still being prepared.", code="export_pending"
        ) from exc
    return export


def rows(queryset: QuerySet[Any], *fields: str) -> list[dict[str, Any]]:
    """``fields`` of every row of ``queryset``: one kind of data in an export."""
    return list(queryset.values(*fields))


def _collect(user: User) -> DataExportCollecting:
    """Each kind of data the person owns or wrote, as rows, and the files they uploaded:
    accounts' own, then every app's (``DataExportCollecting``, answered by each app's
    ``datarights.py``). Others' private data (the other side's review before reveal, other
    members' messages) is not theirs and is left out."""
    from .models import (
        AvailabilityException,
        AvailabilityWindow,
        LearningSubject,
        TeachingSubject,
        VerificationRequest,
    )

    u = user.pk
    collecting = DataExportCollecting(user=user)
    collecting.kinds.update(
        {
            "account": lambda: [
                {
                    "email": user.email,
                    "date_joined": user.date_joined,
                    "last_login": user.last_login,
                    "role": user.role,
                }
            ],
            "profile": lambda: rows(
                Profile.objects.filter(user_id=u),
                "display_name",
                "bio",
                "institution__name",
                "programme",
                "year_of_study",
                "timezone",
                "languages",
                "city",
                "latitude",
                "longitude",
                "learning_styles",
                "session_formats",
            ),
            "learning_subjects": lambda: rows(
                LearningSubject.objects.filter(user_id=u), "subject__name", "level", "created_at"
            ),
            "teaching_subjects": lambda: rows(
                TeachingSubject.objects.filter(user_id=u),
                "subject__name",
                "proficiency",
                "evidence",
                "verified_at",
            ),
            "availability": lambda: rows(
                AvailabilityWindow.objects.filter(user_id=u), "weekday", "start_time", "end_time"
            ),
            "availability_exceptions": lambda: rows(
                AvailabilityException.objects.filter(user_id=u),
                "date",
                "kind",
                "start_time",
                "end_time",
                "note",
            ),
            "verification_requests": lambda: rows(
                VerificationRequest.objects.filter(teaching_subject__user_id=u),
                "teaching_subject__subject__name",
                "original_name",
                "status",
                "submitted_at",
            ),
        }
    )
    collecting.files.append(_owned_files(user))
    hooks.publish(collecting, on_commit=False)
    return collecting


def _owned_files(user: User) -> Iterable[tuple[str, FieldFile]]:
    """(archive path, file) for every file the person uploaded to accounts."""
    from .models import VerificationRequest

    profile = Profile.objects.filter(user=user).first()
    if profile is not None and profile.avatar:
        yield f"files/avatar/{(profile.avatar.name or 'avatar').rsplit('/', 1)[-1]}", profile.avatar
    for request in VerificationRequest.objects.filter(teaching_subject__user=user):
        yield f"files/verification/{request.pk}-{request.original_name}", request.document


def _archive(user: User) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        collected = _collect(user)
        for name, rows in collected.kinds.items():
            archive.writestr(f"{name}.json", json.dumps(rows(), cls=DjangoJSONEncoder, indent=1))
        for path, field in itertools.chain.from_iterable(collected.files):
            try:
                with field.open("rb") as handle:
                    archive.writestr(path.replace("..", "_"), handle.read())
            except OSError:
                logger.warning("export of user %s: file %s is missing", user.pk, field.name)
    return buffer.getvalue()


def data_export_build(*, export_id: int) -> DataExport | None:
    """Write the archive of a pending export and tell its owner (the task calls this)."""
    export = (
        DataExport.objects.select_related("user")
        .filter(pk=export_id, status=DataExport.Status.PENDING)
        .first()
    )
    if export is None:
        return None
    content = _archive(export.user)
    now = timezone.now()
    with transaction.atomic():
        export.archive.save(
            f"peerlearn-data-{now:%Y%m%d-%H%M%S}.zip", ContentFile(content), save=False
        )
        export.size = len(content)
        export.status = DataExport.Status.READY
        export.ready_at = now
        export.expires_at = now + timedelta(hours=settings.DATA_EXPORT_TTL_HOURS)
        export.save()
        notice = AccountNotice(
            user=export.user,
            title="Your data export is ready",
            body=(
                f"Download it within {settings.DATA_EXPORT_TTL_HOURS} hours; "
                "after that it is deleted."
            ),
            url=reverse("accounts:account_data"),
        )
        hooks.publish(notice, on_commit=False)  # notifications delivers it
    return export


def access_data_export(*, user: User, export_id: int) -> DataExport:
    """A ready, unexpired export of ``user``'s own; NotFound for anything else."""
    export = DataExport.objects.filter(
        pk=export_id, user_id=user.pk, status=DataExport.Status.READY
    ).first()
    if export is None or export.expires_at is None or export.expires_at <= timezone.now():
        raise NotFound("No such export, or it has expired.")
    return export


def data_exports_expire(*, now: Any = None) -> int:
    """Delete the archives whose download window has passed; returns how many."""
    now = now or timezone.now()
    count = 0
    for export in DataExport.objects.filter(status=DataExport.Status.READY, expires_at__lte=now):
        if export.archive:
            export.archive.delete(save=False)
        export.status = DataExport.Status.EXPIRED
        export.save(update_fields=["archive", "status"])
        count += 1
    return count


# --- deletion --------------------------------------------------------------------------------


def account_deletion_request(*, actor: User) -> User:
    """Schedule the deletion of ``actor``'s account after the grace period (undo until then)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        if user.deletion_due_at is not None:
            raise Conflict("Your account is already scheduled for deletion.", code="scheduled")
        user.deletion_due_at = timezone.now() + timedelta(days=settings.ACCOUNT_DELETION_GRACE_DAYS)
        user.save(update_fields=["deletion_due_at"])
        audit_record(actor=user, action="accounts.deletion_request", target=user)
    return user


def account_deletion_cancel(*, actor: User) -> User:
    """Keep the account after all (only before the deletion has happened)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        if user.deletion_due_at is None or user.deleted_at is not None:
            raise Conflict("Your account is not scheduled for deletion.", code="not_scheduled")
        user.deletion_due_at = None
        user.save(update_fields=["deletion_due_at"])
        audit_record(actor=user, action="accounts.deletion_cancel", target=user)
    return user


def _withdraw(user: User) -> None:
    """Take the person out of what involves others and has not happened yet: each app does
    (``AccountLeaving``; scheduling, help requests, the partner queue)."""
    hooks.publish(AccountLeaving(user=user), on_commit=False)


def _delete_files(user: User) -> None:
    """Accounts' files; the apps delete theirs on ``AccountErasing`` (``_anonymise``)."""
    from .models import VerificationRequest

    profile = Profile.objects.filter(user=user).first()
    if profile is not None:
        for image in (profile.avatar, profile.avatar_thumbnail):
            if image:
                image.delete(save=False)
    for request in VerificationRequest.objects.filter(teaching_subject__user=user):
        request.document.delete(save=False)
    for export in DataExport.objects.filter(user=user):
        if export.archive:
            export.archive.delete(save=False)
        export.delete()


def _anonymise(user: User) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    from .models import (
        AvailabilityException,
        AvailabilityWindow,
        LearningSubject,
        TeachingSubject,
    )

    Profile.objects.filter(user=user).update(
        display_name=FORMER_MEMBER,
        avatar="",
        avatar_thumbnail="",
        bio="",
        institution=None,
        programme="",
        year_of_study=None,
        languages=[],
        city="",
        latitude=None,
        longitude=None,
        learning_styles=[],
        session_formats=[],
    )
    TeachingSubject.objects.filter(user=user).delete()  # and the verification requests
    LearningSubject.objects.filter(user=user).delete()
    AvailabilityWindow.objects.filter(user=user).delete()
    AvailabilityException.objects.filter(user=user).delete()
    # Every app's files and private data (each app's datarights.py): the search document,
    # notifications, practice code, messages and files, room files.
    hooks.publish(AccountErasing(user=user), on_commit=False)
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.email = f"deleted-{user.pk}@{DELETED_EMAIL_DOMAIN}"
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.groups.clear()
    user.deleted_at = timezone.now()
    end_sessions(user)
    user.save()


def account_delete(*, user_id: int) -> User | None:
    """Delete an account whose grace period is over (the periodic job calls this): see the
    module's doc. Returns the anonymised user, or None if it was undone or done already."""
    user = User.objects.filter(
        pk=user_id, deletion_due_at__lte=timezone.now(), deleted_at__isnull=True
    ).first()
    if user is None:
        return None
    _withdraw(user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.deletion_due_at is None or user.deleted_at is not None:
            return None
        _delete_files(user)
        _anonymise(user)
        audit_record(actor=None, action="accounts.delete", target=user)
    return user


def accounts_delete_due() -> int:
    """Delete every account whose grace period is over; returns how many."""
    due = User.objects.filter(deletion_due_at__lte=timezone.now(), deleted_at__isnull=True)
    return sum(1 for pk in list(due.values_list("pk", flat=True)) if account_delete(user_id=pk))
