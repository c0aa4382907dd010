"""Writes for gamification: the one way points enter the ledger, and badges being earned.

``points_award`` is idempotent: the ledger's unique key (cause, object, user) decides whether a
row is new, and the cached total moves (with ``F()``) only in the transaction that created the
row, so a retried task, a duplicate event or a race of both never counts twice and the total
always equals the ledger's sum. Who gets what, and the rules against gaming, are in ``rules.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.notifications.models import Notification
from peerlearn.notifications.services import notify

from .models import BadgeAward, PointAward, PointTotal


@dataclass(frozen=True)
class Grant:
    """What one award would be: built by a rule in ``rules.py``."""

    user_id: int
    cause: str
    object_id: int
    points: int
    earned_at: datetime
    title: str
    url: str = ""
    subject_id: int | None = None
    counterpart_id: int | None = None


def points_lock(*, user_ids: list[int] | set[int]) -> None:
    """Lock the users' total rows (created when missing), always in id order, for the rest of
    the surrounding transaction. A rule that reads before it awards (a weekly cap) holds the
    lock across both, so two awards of one person never interleave; id order keeps two
    multi-person awards from deadlocking."""
    ids = sorted(set(user_ids))
    PointTotal.objects.bulk_create([PointTotal(user_id=uid) for uid in ids], ignore_conflicts=True)
    list(PointTotal.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


def points_award(*, grant: Grant) -> PointAward | None:
    """Record ``grant`` in the ledger unless that (cause, object, user) already is; returns the
    new row, or None when it existed. Effects: the user's cached total grows by the points in
    the same transaction. Safe to call again with the same grant (a retried task)."""
    with transaction.atomic():
        points_lock(user_ids=[grant.user_id])
        award, created = PointAward.objects.get_or_create(
            cause=grant.cause,
            object_id=grant.object_id,
            user_id=grant.user_id,
            defaults={
                "points": grant.points,
                "earned_at": grant.earned_at,
                "title": grant.title[:200],
                "url": grant.url[:300],
                "subject_id": grant.subject_id,
                "counterpart_id": grant.counterpart_id,
            },
        )
        if not created:
            return None
        PointTotal.objects.filter(pk=grant.user_id).update(
            points=F("points") + grant.points, updated_at=timezone.now()
        )
    return award


def points_total_rebuild(*, user_id: int) -> int:
    """Set the cached total to the ledger's sum (a repair tool: the totals never drift through
    ``points_award``). Returns the total."""
    from django.db.models import Sum

    with transaction.atomic():
        points_lock(user_ids=[user_id])
        total = PointAward.objects.filter(user_id=user_id).aggregate(s=Sum("points"))["s"] or 0
        PointTotal.objects.filter(pk=user_id).update(points=total, updated_at=timezone.now())
    return total


def _announce(user: User, badge_key: str) -> None:
    from .badges import BADGES_BY_KEY

    badge = BADGES_BY_KEY[badge_key]
    notify(
        user=user,
        kind=Notification.Kind.BADGE,
        title=f"Badge earned: {badge.name}",
        body=f"{badge.rule} — well done!",
        url=reverse("gamification:badges"),
    )


def badges_refresh(*, user_id: int, now: datetime | None = None) -> list[BadgeAward]:
    """Award every badge ``user_id`` now meets and has not earned yet; each new one is
    announced (bell, email) once it commits. Idempotent: a badge is earned once
    (unique per user and badge), however many events arrive together."""
    from .badges import BADGES, badge_progress

    user = User.objects.select_related("profile").filter(pk=user_id).first()
    if user is None:
        return []
    earned = set(BadgeAward.objects.filter(user=user).values_list("badge", flat=True))
    new: list[BadgeAward] = []
    for badge in BADGES:
        if badge.key in earned or not badge_progress(badge, user, now=now).met:
            continue
        with transaction.atomic():
            award, created = BadgeAward.objects.get_or_create(
                user=user, badge=badge.key, defaults={"earned_at": now or timezone.now()}
            )
            if created:
                new.append(award)
                # Inside the transaction: the notification exists exactly when the badge does
                # (notify itself pushes and emails on commit).
                _announce(user, badge.key)
    return new
