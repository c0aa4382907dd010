"""Background delivery of notifications by email and SMS.

Each task is idempotent: it first claims the delivery by setting ``emailed_at``/``texted_at`` on
the row where it is still empty, so a retried or duplicated task finds it set and does nothing.
If sending fails the claim is released (and the error raised), so a retry can send it again.
"""

from __future__ import annotations

import logging
from typing import TypedDict

from django.conf import settings
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from peerlearn.common.mail import send_templated_email

from . import selectors
from .models import EMAIL, SMS, Notification
from .sms import get_sms_backend

logger = logging.getLogger(__name__)

SMS_MAX_CHARS = 480  # three concatenated segments


class Attachment(TypedDict):
    """An email attachment as a task argument (task arguments must be JSON)."""

    filename: str
    content: str
    mimetype: str


def _claim(notification_id: int, field: str) -> bool:
    """Mark the delivery as done if nobody did yet; True when this caller won the claim."""
    claimed = Notification.objects.filter(pk=notification_id, **{f"{field}__isnull": True}).update(
        **{field: timezone.now()}
    )
    return claimed == 1


def _release(notification_id: int, field: str) -> None:
    Notification.objects.filter(pk=notification_id).update(**{field: None})


@task()
def deliver_email(notification_id: int, attachments: list[Attachment] | None = None) -> bool:
    """Email the notification (HTML + text, with attachments). True when an email was sent."""
    notification = (
        Notification.objects.select_related("user__profile").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at is not None:
        return False
    user = notification.user
    prefs = selectors.delivery_settings(user)
    if not selectors.channel_allowed(user, prefs, notification.kind, EMAIL):
        return False  # the person turned email off (or left) since it was queued
    if not _claim(notification_id, "emailed_at"):
        return False
    try:
        send_templated_email(
            to=[user.email],
            template="notifications/email/notification",
            context={
                "notification": notification,
                "user": user,
                "link": notification.absolute_url,
                "settings_link": settings.SITE_URL + reverse("notifications:settings"),
            },
            attachments=[
                (a["filename"], a["content"].encode("utf-8"), a["mimetype"])
                for a in attachments or []
            ],
        )
    except Exception:
        _release(notification_id, "emailed_at")
        raise
    return True


def sms_text(notification: Notification) -> str:
    """Title, body and link, cut to fit ``SMS_MAX_CHARS`` without ever cutting the link."""
    head = f"PeerLearn: {notification.title}"
    link = notification.absolute_url
    text = f"{head}\n{notification.body}".strip() if notification.body else head
    room = SMS_MAX_CHARS - (len(link) + 1 if link else 0)
    if len(text) > room:
        text = text[: max(room - 1, 0)].rstrip() + "…"
    return f"{text}\n{link}" if link else text


@task()
def deliver_sms(notification_id: int) -> bool:
    """Text the notification to the user's number if they (still) opted in. True when sent."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.texted_at is not None:
        return False
    user = notification.user
    prefs = selectors.delivery_settings(user)
    if not selectors.channel_allowed(user, prefs, notification.kind, SMS):
        return False
    if not _claim(notification_id, "texted_at"):
        return False
    try:
        get_sms_backend().send(prefs.phone_number, sms_text(notification))
    except Exception:
        _release(notification_id, "texted_at")
        raise
    return True


@task()
def send_digest(user_id: int) -> int:
    """One person's daily digest (idempotent per local day). Returns how many it listed."""
    from .digest import send_digest as _send_digest

    return _send_digest(user_id)


@task()
def send_digests() -> int:
    """Every due daily digest (for a scheduler); returns how many emails were sent."""
    from .digest import send_digests as _send_digests

    sent, _listed = _send_digests()
    return sent
