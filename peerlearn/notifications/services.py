"""Writes for notifications: ``notify`` (the one way anything reaches a person), marking read,
and the person's delivery settings."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common.errors import ServiceError

from . import live, selectors
from .models import (
    E164_PATTERN,
    REMINDER_OFFSET_MAX_MINUTES,
    REMINDER_OFFSET_MIN_MINUTES,
    REMINDER_OFFSETS_MAX_COUNT,
    Notification,
    NotificationSettings,
)
from .tasks import Attachment, deliver_email, deliver_sms

logger = logging.getLogger(__name__)

TITLE_MAX = Notification._meta.get_field("title").max_length or 200
URL_MAX = Notification._meta.get_field("url").max_length or 500


def settings_for(user: User) -> NotificationSettings:
    """The user's notification settings, created with the defaults on first need."""
    prefs, _ = NotificationSettings.objects.get_or_create(user=user)
    return prefs


# --- notify -------------------------------------------------------------------------------------


def _clean_kind(kind: str) -> Notification.Kind:
    try:
        return Notification.Kind(kind)
    except ValueError as exc:
        raise ServiceError(
            f"Unknown notification kind {kind!r}.", code="invalid_kind", field="kind"
        ) from exc


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ServiceError("A notification needs a title.", code="required", field="title")
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rstrip() + "…"
    return title


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    if (
        not url.startswith("/")
        or url.startswith("//")
        or "\\" in url
        or any(c.isspace() for c in url)
        or len(url) > URL_MAX
    ):
        raise ServiceError(
            "The link must be a path on this site, like /sessions/12/.",
            code="invalid_url",
            field="url",
        )
    return url


def _clean_attachments(attachments: Sequence[Any] | None) -> list[Attachment]:
    cleaned: list[Attachment] = []
    for item in attachments or []:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(key), str) and item.get(key)
            for key in ("filename", "content", "mimetype")
        ):
            raise ServiceError(
                "Each attachment needs a filename, text content and a MIME type.",
                code="invalid_attachment",
                field="attachments",
            )
        if "/" not in item["mimetype"]:
            raise ServiceError(
                f"{item['mimetype']!r} is not a MIME type.",
                code="invalid_attachment",
                field="attachments",
            )
        cleaned.append(
            Attachment(
                filename=item["filename"], content=item["content"], mimetype=item["mimetype"]
            )
        )
    return cleaned


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    body: str,
    url: str = "",
    email: bool = True,
    sms: bool = False,
    attachments: Sequence[Mapping[str, Any]] | None = None,
) -> Notification:
    """Tell ``user`` about something: store the in-app notification, then deliver it.

    Preconditions: ``url`` is a path on this site (or empty); ``body`` is plain text;
    ``attachments`` are ``{"filename", "content" (text), "mimetype"}`` dicts, e.g. an ``.ics``
    with ``text/calendar; method=REQUEST``.

    Effects, once the surrounding transaction commits (nothing is sent for a rolled-back
    change): ``tasks.deliver_email`` is enqueued when ``email`` is asked for and the user
    keeps email on; ``tasks.deliver_sms`` when ``sms`` is asked for and the user opted in with
    a phone number; ``live.publish`` pushes it to the bell. Call it inside the service's own
    transaction so the notification exists exactly when the change does.
    """
    clean_kind = _clean_kind(kind)
    clean_title = _clean_title(title)
    clean_url = _clean_url(url)
    clean_attachments = _clean_attachments(attachments)
    prefs = selectors.delivery_settings(user)
    wants_email = email and prefs.email_enabled and bool(user.email) and user.is_active
    wants_sms = sms and prefs.can_text and user.is_active
    with transaction.atomic():
        notification = Notification.objects.create(
            user=user, kind=clean_kind, title=clean_title, body=body or "", url=clean_url
        )
        if wants_email:
            transaction.on_commit(
                partial(deliver_email.enqueue, notification.pk, clean_attachments or None)
            )
        if wants_sms:
            transaction.on_commit(partial(deliver_sms.enqueue, notification.pk))
        # Live delivery is best effort: the stored notification is the source of truth.
        transaction.on_commit(partial(live.publish, notification), robust=True)
    return notification


# --- reading ------------------------------------------------------------------------------------


def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (already read: unchanged). Someone else's
    notification raises ``NotFound``, like a missing one."""
    notification = selectors.access_notification(user=actor, notification_id=notification_id)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- settings -----------------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone_number(raw: str) -> str:
    """``"+49 (151) 234-567"`` → ``"+49151234567"``; ``"0049…"`` → ``"+49…"``; empty stays empty.
    Anything that is not then E.164 is refused."""
    if not isinstance(raw, str):
        raise ServiceError(
            "The phone number must be text.", code="invalid_phone_number", field="phone_number"
        )
    number = _PHONE_SEPARATORS.sub("", raw)
    if number.startswith("00"):
        number = "+" + number[2:]
    if number and not re.fullmatch(E164_PATTERN, number):
        raise ServiceError(
            "Enter the number in international format with the country code, e.g. +4915123456789.",
            code="invalid_phone_number",
            field="phone_number",
        )
    return number


def clean_reminder_offsets(values: Any) -> list[int]:
    """Whole minutes before a session, each 5…10080 (a week), at most 5 distinct values;
    returned deduplicated, largest first. An empty list means no reminders."""
    field = "reminder_offsets_minutes"
    if not isinstance(values, list | tuple):
        raise ServiceError(
            "Reminder times must be a list of minutes.", code="invalid_reminders", field=field
        )
    offsets: set[int] = set()
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ServiceError(
                f"{value!r} is not a whole number of minutes.",
                code="invalid_reminders",
                field=field,
            )
        if not REMINDER_OFFSET_MIN_MINUTES <= value <= REMINDER_OFFSET_MAX_MINUTES:
            raise ServiceError(
                f"Each reminder must be between {REMINDER_OFFSET_MIN_MINUTES} minutes and "
                f"{REMINDER_OFFSET_MAX_MINUTES // 1440} days before the session.",
                code="invalid_reminders",
                field=field,
            )
        offsets.add(value)
    if len(offsets) > REMINDER_OFFSETS_MAX_COUNT:
        raise ServiceError(
            f"Choose at most {REMINDER_OFFSETS_MAX_COUNT} reminder times.",
            code="too_many_reminders",
            field=field,
        )
    return sorted(offsets, reverse=True)


def notification_settings_update(
    *,
    actor: User,
    phone_number: str,
    sms_opt_in: bool,
    reminder_offsets_minutes: Sequence[int],
    email_enabled: bool,
) -> NotificationSettings:
    """Replace the actor's delivery settings. Text messages need a phone number; the phone
    number is stored in E.164; reminder times are cleaned by ``clean_reminder_offsets``."""
    phone = normalize_phone_number(phone_number)
    offsets = clean_reminder_offsets(reminder_offsets_minutes)
    if sms_opt_in and not phone:
        raise ServiceError(
            "Add a phone number to receive text messages.",
            code="phone_number_required",
            field="phone_number",
        )
    with transaction.atomic():
        settings_for(actor)
        prefs = NotificationSettings.objects.select_for_update().get(user=actor)
        prefs.phone_number = phone
        prefs.sms_opt_in = bool(sms_opt_in)
        prefs.reminder_offsets_minutes = offsets
        prefs.email_enabled = bool(email_enabled)
        prefs.save()
    return prefs
