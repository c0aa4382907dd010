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
from peerlearn.common.errors import Invalid

from . import live, selectors
from .models import (
    CHANNELS,
    E164_PATTERN,
    EMAIL,
    IN_APP,
    REMINDER_OFFSET_MAX_MINUTES,
    REMINDER_OFFSET_MIN_MINUTES,
    REMINDER_OFFSETS_MAX_COUNT,
    SMS,
    Notification,
    NotificationSettings,
    channels_for,
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
        raise Invalid(
            f"Unknown notification kind {kind!r}.", code="invalid_kind", field="kind"
        ) from exc


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise Invalid("A notification needs a title.", code="required", field="title")
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
        raise Invalid(
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
            raise Invalid(
                "Each attachment needs a filename, text content and a MIME type.",
                code="invalid_attachment",
                field="attachments",
            )
        if "/" not in item["mimetype"]:
            raise Invalid(
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


def delivery_plan(user: User, kind: str, *, email: bool, sms: bool) -> dict[str, bool]:
    """Which channels a new notification of ``kind`` goes to, given what the caller asked for
    and the person's settings. The one place preferences are applied (the tasks re-check the
    same settings at delivery time through ``selectors.channel_allowed``)."""
    prefs = selectors.delivery_settings(user)
    return {
        IN_APP: prefs.wants(kind, IN_APP),
        EMAIL: email and selectors.channel_allowed(user, prefs, kind, EMAIL),
        SMS: sms and selectors.channel_allowed(user, prefs, kind, SMS),
    }


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

    The person's preferences are applied here, in one place (``delivery_plan``):

    - in-app switched off for this kind: the row is still stored (the record, and the email
      links to it) but already read, and it is not pushed to the bell;
    - email: enqueued when ``email`` is asked for, the master switch ``email_enabled`` is on,
      the kind's email switch is on, and the user is active with an address;
    - SMS: enqueued when ``sms`` is asked for, the kind supports SMS (``SMS_KINDS``), the kind's
      SMS switch is on and the user opted in with a phone number.

    Effects happen once the surrounding transaction commits (nothing is sent for a rolled-back
    change). Call it inside the service's own transaction so the notification exists exactly
    when the change does.
    """
    clean_kind = _clean_kind(kind)
    clean_title = _clean_title(title)
    clean_url = _clean_url(url)
    clean_attachments = _clean_attachments(attachments)
    plan = delivery_plan(user, clean_kind, email=email, sms=sms)
    with transaction.atomic():
        now = timezone.now()
        notification = Notification.objects.create(
            user=user,
            kind=clean_kind,
            title=clean_title,
            body=body or "",
            url=clean_url,
            created_at=now,
            read_at=None if plan[IN_APP] else now,
        )
        if plan[EMAIL]:
            transaction.on_commit(
                partial(deliver_email.enqueue, notification.pk, clean_attachments or None)
            )
        if plan[SMS]:
            transaction.on_commit(partial(deliver_sms.enqueue, notification.pk))
        if plan[IN_APP]:
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
        raise Invalid(
            "The phone number must be text.", code="invalid_phone_number", field="phone_number"
        )
    number = _PHONE_SEPARATORS.sub("", raw)
    if number.startswith("00"):
        number = "+" + number[2:]
    if number and not re.fullmatch(E164_PATTERN, number):
        raise Invalid(
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
        raise Invalid(
            "Reminder times must be a list of minutes.", code="invalid_reminders", field=field
        )
    offsets: set[int] = set()
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(
                f"{value!r} is not a whole number of minutes.",
                code="invalid_reminders",
                field=field,
            )
        if not REMINDER_OFFSET_MIN_MINUTES <= value <= REMINDER_OFFSET_MAX_MINUTES:
            raise Invalid(
                f"Each reminder must be between {REMINDER_OFFSET_MIN_MINUTES} minutes and "
                f"{REMINDER_OFFSET_MAX_MINUTES // 1440} days before the session.",
                code="invalid_reminders",
                field=field,
            )
        offsets.add(value)
    if len(offsets) > REMINDER_OFFSETS_MAX_COUNT:
        raise Invalid(
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
        raise Invalid(
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


def notification_preferences_update(
    *,
    actor: User,
    digest_enabled: bool,
    preferences: Mapping[str, Mapping[str, bool]],
) -> NotificationSettings:
    """Replace the actor's per-kind switches and the digest switch.

    ``preferences`` maps a kind to ``{channel: on}``; a kind or channel left out is on (the
    default). Only the switches that are off are stored. An unknown kind is refused
    (``invalid_kind``), as is a channel the kind does not have, e.g. SMS for a reply
    (``invalid_channel``)."""
    overrides: dict[str, dict[str, bool]] = {}
    if not isinstance(preferences, Mapping):
        raise Invalid(
            "Preferences must map kinds to channels.", code="invalid", field="preferences"
        )
    for kind, switches in preferences.items():
        clean = _clean_kind(kind).value
        if not isinstance(switches, Mapping):
            raise Invalid(
                f"The switches for {clean!r} must map channels to true or false.",
                code="invalid",
                field="preferences",
            )
        for channel, on in switches.items():
            if channel not in CHANNELS or channel not in channels_for(clean):
                raise Invalid(
                    f"{Notification.Kind(clean).label} cannot be sent by {channel!r}.",
                    code="invalid_channel",
                    field="preferences",
                )
            if not isinstance(on, bool):
                raise Invalid(
                    f"The {channel} switch for {clean!r} must be true or false.",
                    code="invalid",
                    field="preferences",
                )
            if not on:
                overrides.setdefault(clean, {})[channel] = False
    with transaction.atomic():
        settings_for(actor)
        prefs = NotificationSettings.objects.select_for_update().get(user=actor)
        prefs.digest_enabled = bool(digest_enabled)
        prefs.channel_overrides = overrides
        prefs.save(update_fields=["digest_enabled", "channel_overrides", "updated_at"])
    return prefs
