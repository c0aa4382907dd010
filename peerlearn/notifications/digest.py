"""The daily digest: one email per person per local day listing the notifications of the last
24 hours that are still unread and were not emailed one by one (nor in an earlier digest).

Who gets one: active people with an address, the master ``email_enabled`` switch on and
``digest_enabled`` on (both default on). The day is the person's own (``profile.timezone``);
``NotificationDigest`` (unique per user and local date) is claimed before sending, so a second
run the same local day sends nothing. A failed send releases the claim and raises.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common.mail import send_templated_email

from . import selectors
from .models import Notification, NotificationDigest

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
MAX_ITEMS = 50  # the email lists at most this many; the rest are counted and linked


def local_date(user: User, now: datetime) -> date:
    """Today in the person's time zone (UTC when unknown)."""
    name = getattr(getattr(user, "profile", None), "timezone", "") or "UTC"
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return now.astimezone(zone).date()


def pending(user: User, now: datetime) -> QuerySet[Notification]:
    """What a digest sent now would list: unread, not emailed, not digested, last 24 h."""
    return Notification.objects.filter(
        user=user,
        read_at__isnull=True,
        emailed_at__isnull=True,
        digested_at__isnull=True,
        created_at__gt=now - WINDOW,
        created_at__lte=now,
    ).order_by("-created_at", "-id")


def recipients(now: datetime) -> QuerySet[User]:
    """People who may get a digest now and have something for it (the day is checked per
    person by ``send_digest``)."""
    return (
        User.objects.filter(
            is_active=True,
            notifications__read_at__isnull=True,
            notifications__emailed_at__isnull=True,
            notifications__digested_at__isnull=True,
            notifications__created_at__gt=now - WINDOW,
        )
        .exclude(email="")
        .exclude(notification_settings__email_enabled=False)
        .exclude(notification_settings__digest_enabled=False)
        .distinct()
        .order_by("pk")
    )


def send_digest(user_id: int, now: datetime | None = None) -> int:
    """Email ``user_id`` their digest for today (their local date) if they want one, have
    something unseen and did not get one today. Returns how many notifications it listed."""
    now = now or timezone.now()
    user = User.objects.select_related("profile").filter(pk=user_id).first()
    if user is None or not user.is_active or not user.email:
        return 0
    prefs = selectors.delivery_settings(user)
    if not (prefs.email_enabled and prefs.digest_enabled):
        return 0
    day = local_date(user, now)
    if NotificationDigest.objects.filter(user=user, local_date=day).exists():
        return 0
    items = list(pending(user, now)[: MAX_ITEMS + 1])
    if not items:
        return 0
    shown = items[:MAX_ITEMS]
    total = pending(user, now).count()
    try:
        with transaction.atomic():
            digest = NotificationDigest.objects.create(
                user=user, local_date=day, sent_at=now, item_count=total
            )
    except IntegrityError:
        return 0  # another worker claimed today's digest
    try:
        send_templated_email(
            to=[user.email],
            template="notifications/email/digest",
            context={
                "user": user,
                "notifications": shown,
                "total": total,
                "more": total - len(shown),
                "day": day,
                "list_link": settings.SITE_URL + reverse("notifications:list") + "?filter=unread",
                "settings_link": settings.SITE_URL + reverse("notifications:settings"),
            },
        )
    except Exception:
        digest.delete()
        raise
    pending(user, now).update(digested_at=now)
    return total


def send_digests(now: datetime | None = None) -> tuple[int, int]:
    """Send every due digest; returns (emails sent, notifications listed). A failure for one
    person is logged and does not stop the others."""
    now = now or timezone.now()
    sent = listed = 0
    for user_id in recipients(now).values_list("pk", flat=True):
        try:
            count = send_digest(user_id, now)
        except Exception:
            logger.exception("digest for user %s failed", user_id)
            continue
        if count:
            sent += 1
            listed += count
    return sent, listed
