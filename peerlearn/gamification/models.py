"""The points ledger, each user's cached total, and earned badges.

The ledger (``PointAward``) is the source of truth: one row per (cause, object, user), enforced
by a unique constraint, so a retried task or a double click never awards twice. ``PointTotal``
caches each user's sum; it is changed only in the transaction that created a ledger row, with
``F()``, so it always equals the ledger's sum. Causes and their points live in ``rules.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from peerlearn.accounts.models import Subject


class PointAward(models.Model):
    """One award: who, how many points, why (``cause`` + ``object_id``) and when it counts.

    ``earned_at`` is the moment of the contribution (a session's end, a solve's verdict, a
    review's submission), not when the task ran: a retry or a late completion lands in the same
    day, week and month. ``title`` and ``url`` are a snapshot for the ledger page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="point_awards"
    )
    cause = models.CharField(max_length=40, help_text="A key of rules.CAUSES")
    object_id = models.PositiveBigIntegerField(help_text="The booking, review, problem … id")
    points = models.IntegerField()
    earned_at = models.DateTimeField()
    subject = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    counterpart = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The other person (a session's tutor for a learner's award): pair caps",
    )
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-earned_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cause", "object_id", "user"], name="award_once_per_cause"
            ),
        ]
        indexes = [
            # Leaderboards: one period's rows, summed per user (global and institution).
            # Covering: a period's sums can read the index alone (index-only scan).
            models.Index(fields=["earned_at", "user", "points"], name="award_period_user"),
            # Subject leaderboards: a period's rows of some subjects.
            models.Index(
                fields=["subject", "earned_at", "user", "points"],
                name="award_subject_period",
                condition=Q(subject__isnull=False),
            ),
            # A person's ledger page, heat map and streak.
            models.Index(fields=["user", "-earned_at"], name="award_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} {self.cause} #{self.object_id} for user {self.user_id}"


class PointTotal(models.Model):
    """The cached sum of a user's ledger (the profile card reads this, not the ledger)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="point_total",
    )
    points = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.points} points for user {self.user_id}"


class BadgeAward(models.Model):
    """A badge one user earned (definitions in ``badges.py``); earned once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badges"
    )
    badge = models.CharField(max_length=40, help_text="A key of badges.BADGES")
    earned_at = models.DateTimeField()

    class Meta:
        ordering = ["earned_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "badge"], name="badge_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.badge} for user {self.user_id}"
