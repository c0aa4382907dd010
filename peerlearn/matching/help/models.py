"""Help requests: a learner asks for help at a time; it is offered to a few tutors at once,
round after round, until one accepts (a booking is made through the scheduling services), the
learner cancels, or it expires.

``HelpOffer`` rows are the record of who was asked, when, and how they answered (the ranker
learns from declines and non-answers).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from peerlearn.accounts.models import Subject


class HelpRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a tutor"
        ACCEPTED = "accepted", "Accepted"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="help_requests"
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="help_requests")
    description = models.TextField(max_length=2000)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    round = models.PositiveSmallIntegerField(default=1)
    # When the current round's offers stop waiting (the widening task runs then).
    round_ends_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    booking = models.OneToOneField(
        "scheduling.Booking",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="help_request",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["learner", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(accepted_by__isnull=False),
                name="help_request_accepted_has_tutor",
            ),
        ]

    def __str__(self) -> str:
        return f"Help with {self.subject} for {self.learner}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class HelpOffer(models.Model):
    """One tutor asked about one request, and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        UNAVAILABLE = "unavailable", "Busy at that time"
        TAKEN = "taken", "Taken by another tutor"
        EXPIRED = "expired", "No answer in time"
        CANCELLED = "cancelled", "Cancelled by the learner"

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="offers")
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="help_offers"
    )
    round = models.PositiveSmallIntegerField()
    rank = models.PositiveSmallIntegerField(help_text="Position in its round (1 = best match)")
    score = models.FloatField(default=0)
    explanation = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    decline_reason = models.CharField(max_length=300, blank=True)
    offered_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "rank", "pk"]
        indexes = [models.Index(fields=["tutor", "status", "-offered_at"])]
        constraints = [
            models.UniqueConstraint(fields=["request", "tutor"], name="help_offer_once_per_tutor"),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="accepted"),
                name="help_offer_one_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"Offer of {self.request_id} to {self.tutor_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def response_seconds(self) -> int | None:
        """How fast the tutor answered (accepted, declined or tried to accept)."""
        if self.responded_at is None:
            return None
        return int((self.responded_at - self.offered_at).total_seconds())
