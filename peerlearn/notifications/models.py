"""Notifications: one row per thing a person should hear about, whatever the channel.

A notification is always stored (the in-app list and the live bell read it); email and SMS are
extra deliveries recorded on the same row (``emailed_at``, ``texted_at``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
E164_PATTERN = r"^\+[1-9]\d{6,14}$"
e164_validator = RegexValidator(
    E164_PATTERN,
    message="Enter the number in international format, e.g. +4915123456789.",
    code="invalid_phone_number",
)

DEFAULT_REMINDER_OFFSETS_MINUTES = [1440, 60]
REMINDER_OFFSET_MIN_MINUTES = 5
REMINDER_OFFSET_MAX_MINUTES = 7 * 24 * 60
REMINDER_OFFSETS_MAX_COUNT = 5


def default_reminder_offsets() -> list[int]:
    return list(DEFAULT_REMINDER_OFFSETS_MINUTES)


class Notification(models.Model):
    class Kind(models.TextChoices):
        BOOKING_REQUEST = "booking_request", "Booking request"
        BOOKING_CONFIRMED = "booking_confirmed", "Booking confirmed"
        BOOKING_DECLINED = "booking_declined", "Booking declined"
        BOOKING_COUNTERED = "booking_countered", "New time proposed"
        BOOKING_CHANGED = "booking_changed", "Booking changed"
        BOOKING_CANCELLED = "booking_cancelled", "Booking cancelled"
        BOOKING_REMINDER = "booking_reminder", "Session reminder"
        VERIFICATION_DECISION = "verification_decision", "Verification decision"
        REVIEW_REQUEST = "review_request", "Review request"
        REVIEW_REVEALED = "review_revealed", "Review visible"
        REPLY = "reply", "Reply"
        MENTION = "mention", "Mention"
        MESSAGE = "message", "Message"
        HELP_REQUEST = "help_request", "Help request"
        BADGE = "badge", "Badge"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Plain text.")
    url = models.CharField(max_length=500, blank=True, help_text="A path on this site.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    texted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notif_user_read_idx"),
            models.Index(fields=["user", "-created_at"], name="notif_user_created_idx"),
        ]
        constraints = [
            # Only a path on this site: the list page redirects to it after marking it read.
            models.CheckConstraint(
                condition=Q(url="") | (Q(url__startswith="/") & ~Q(url__startswith="//")),
                name="notif_url_is_a_local_path",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def absolute_url(self) -> str:
        return f"{settings.SITE_URL}{self.url}" if self.url else ""


class NotificationSettings(models.Model):
    """How a person wants to be reached. Created on first need (``services.settings_for``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    phone_number = models.CharField(
        max_length=16, blank=True, validators=[e164_validator], help_text="E.164, e.g. +4915…"
    )
    sms_opt_in = models.BooleanField(default=False)
    reminder_offsets_minutes = models.JSONField(
        default=default_reminder_offsets,
        help_text="Minutes before a session to send a reminder, largest first.",
    )
    email_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(sms_opt_in=False) | ~Q(phone_number=""),
                name="notif_sms_opt_in_needs_phone",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification settings of user {self.user_id}"

    @property
    def can_text(self) -> bool:
        return self.sms_opt_in and bool(self.phone_number)
