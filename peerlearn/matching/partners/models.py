"""Practice partners: a skill rating per learner and practice topic, and the queue of learners
asking for a partner (one waiting entry per learner, enforced by the database)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from peerlearn.practice.models import Difficulty, PracticeSession, PracticeTopic, Submission

START_RATING = 1200.0


class PracticeRating(models.Model):
    """An Elo-style rating of one learner on one practice topic (``START_RATING`` until the
    first judged Submit on a problem of that topic)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_ratings"
    )
    topic = models.ForeignKey(PracticeTopic, on_delete=models.CASCADE, related_name="+")
    rating = models.FloatField(default=START_RATING)
    games = models.PositiveIntegerField(default=0, help_text="Rated submissions")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="one_rating_per_user_topic")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.topic_id}: {self.rating:.0f}"


class RatingChange(models.Model):
    """What one judged submission did to one topic's rating; its uniqueness makes rating a
    submission idempotent (a retried task changes nothing)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(PracticeTopic, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    expected = models.FloatField()
    before = models.FloatField()
    after = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "topic"], name="one_rating_change_per_submission_topic"
            )
        ]


class PartnerRequest(models.Model):
    """A learner waiting for a practice partner on a topic and difficulty."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        MATCHED = "matched", "Matched"
        LEFT = "left", "Left the queue"
        EXPIRED = "expired", "Expired"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_requests"
    )
    topic = models.ForeignKey(PracticeTopic, on_delete=models.CASCADE, related_name="+")
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices)
    rating = models.FloatField(help_text="The learner's topic rating when they joined")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session = models.ForeignKey(
        PracticeSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="waiting"),
                name="one_waiting_partner_request_per_user",
            ),
            models.CheckConstraint(
                condition=~Q(partner=models.F("user")), name="partner_is_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "topic", "difficulty", "created_at"]),
            models.Index(fields=["topic", "difficulty", "status", "-ended_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.topic_id}/{self.difficulty} ({self.status})"

    @property
    def wait_seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.created_at).total_seconds()
