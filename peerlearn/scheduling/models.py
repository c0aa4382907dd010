"""Bookings, the time each participant commits to them, and the tutor's booking policy.

No double booking: every participant of an active booking holds a ``TimeClaim`` over the period
they are busy (the tutor's includes their buffers). On PostgreSQL an exclusion constraint
(migration 0002) forbids two overlapping active claims of one user; on SQLite every write
transaction is serialized (``BEGIN IMMEDIATE``) and the service re-checks overlap inside it.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from peerlearn.accounts.models import Subject


class TutorPolicy(models.Model):
    """How a tutor can be booked. Missing row = the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tutor_policy"
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(120)]
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(120)]
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        default=12, validators=[MaxValueValidator(24 * 14)]
    )
    max_sessions_per_day = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    horizon_weeks = models.PositiveSmallIntegerField(
        default=8, validators=[MinValueValidator(1), MaxValueValidator(26)]
    )


class BookingSeries(models.Model):
    """A weekly recurring request: N occurrences at the same local time."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    occurrences = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)


class Booking(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        COUNTERED = "countered", "Counter-proposed"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"

    class Kind(models.TextChoices):
        ONE_TO_ONE = "one_to_one", "One-to-one"
        GROUP = "group", "Group session"

    ACTIVE_STATUSES = (Status.REQUESTED, Status.COUNTERED, Status.CONFIRMED)

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ONE_TO_ONE)
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tutor_bookings"
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="bookings")
    title = models.CharField(max_length=120, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    note = models.CharField(max_length=500, blank=True)
    series = models.ForeignKey(
        BookingSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Bumped at every change the participants' calendars must learn about (ICS SEQUENCE); a
    # reminder task carries the value it was scheduled with and does nothing if it moved on.
    sequence = models.PositiveIntegerField(default=0)
    cancelled_late = models.BooleanField(default=False)
    no_show_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["tutor", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")), name="booking_starts_before_end"
            ),
            models.CheckConstraint(
                condition=Q(kind="group") | Q(capacity=1), name="booking_one_to_one_has_one_seat"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} with {self.tutor} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class TimeClaim(models.Model):
    """One participant's commitment to one booking: the period they are busy."""

    class Role(models.TextChoices):
        TUTOR = "tutor", "Tutor"
        LEARNER = "learner", "Learner"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_claims"
    )
    role = models.CharField(max_length=8, choices=Role.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "active", "starts_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "user"], name="one_claim_per_booking_and_user"
            ),
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")), name="claim_starts_before_end"
            ),
        ]


class BookingEvent(models.Model):
    """The audit trail: every state change with who, when and why."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=24)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class RescheduleProposal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="reschedule_proposals"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(status="pending"),
                name="one_pending_reschedule_per_booking",
            )
        ]


class SentReminder(models.Model):
    """One reminder delivered: makes the reminder task idempotent (a retry or a duplicate
    enqueue finds the row and does nothing)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    offset_minutes = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "sequence", "user", "offset_minutes"], name="remind_once"
            )
        ]


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """The private ICS subscription URL of one user; regenerating the token revokes the old URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now=True)
