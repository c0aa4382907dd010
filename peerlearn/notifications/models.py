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
        ACCOUNT = "account", "Your account"
        MODERATION = "moderation", "Moderator decisions"

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
    digested_at = models.DateTimeField(
        null=True, blank=True, help_text="When it went out in a daily digest email."
    )

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
        return absolute_url(self.url)


def absolute_url(path: str) -> str:
    """A notification's link as a full URL, for email, SMS and API clients ('' for none)."""
    return f"{settings.SITE_URL}{path}" if path else ""


# --- preferences per kind × channel --------------------------------------------------------------

IN_APP, EMAIL, SMS = "in_app", "email", "sms"
CHANNELS: tuple[str, ...] = (IN_APP, EMAIL, SMS)
CHANNEL_LABELS = {IN_APP: "In-app", EMAIL: "Email", SMS: "Text message"}

# Only these kinds can be sent by text message (``notify(sms=True)`` is ignored for the others).
SMS_KINDS: frozenset[str] = frozenset({Notification.Kind.BOOKING_REMINDER.value})

K = Notification.Kind
# Every kind in exactly one group, in the order the preferences page shows them.
KIND_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Sessions",
        (
            K.BOOKING_REQUEST,
            K.BOOKING_CONFIRMED,
            K.BOOKING_DECLINED,
            K.BOOKING_COUNTERED,
            K.BOOKING_CHANGED,
            K.BOOKING_CANCELLED,
            K.BOOKING_REMINDER,
        ),
    ),
    ("Reviews", (K.REVIEW_REQUEST, K.REVIEW_REVEALED)),
    ("Discussions", (K.REPLY, K.MENTION, K.HELP_REQUEST)),
    ("Messages", (K.MESSAGE,)),
    ("Practice & badges", (K.BADGE,)),
    ("Account", (K.VERIFICATION_DECISION, K.ACCOUNT, K.MODERATION)),
)
del K


def channels_for(kind: str) -> tuple[str, ...]:
    """The channels a person can switch for ``kind``."""
    return CHANNELS if kind in SMS_KINDS else (IN_APP, EMAIL)


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
    email_enabled = models.BooleanField(
        default=True, help_text="Master switch: off means no email at all (nor the digest)."
    )
    digest_enabled = models.BooleanField(
        default=True, help_text="A daily email of what was not seen and not emailed already."
    )
    channel_overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text="Only the switches that differ from the default (all on), e.g. "
        '{"message": {"email": false}}.',
    )
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

    def wants(self, kind: str, channel: str) -> bool:
        """The per-kind switch only (default on); the master switches (``email_enabled``,
        ``can_text``) are checked by the caller. SMS is off for kinds that do not support it."""
        if channel not in channels_for(kind):
            return False
        overrides = self.channel_overrides if isinstance(self.channel_overrides, dict) else {}
        per_kind = overrides.get(kind)
        if not isinstance(per_kind, dict):
            return True
        return per_kind.get(channel, True) is not False


class NotificationDigest(models.Model):
    """One daily digest email per person per local date (``user.profile.timezone``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_digests"
    )
    local_date = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    item_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-local_date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "local_date"], name="notif_digest_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Digest for user {self.user_id} on {self.local_date}"
