"""Two-way, double-blind reviews of completed sessions.

A learner reviews the tutor (clarity, knowledge, patience, punctuality); the tutor reviews each
learner (preparedness, engagement). Scores are 1–5. The database enforces the shape of a review:
one per author, booking and subject; never of oneself; the scores of its direction present and
in range, the other direction's absent; the comment at most 2000 characters. Who may write,
when, and who may read is decided in ``services`` and ``selectors`` (``selectors.revealed``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from peerlearn.scheduling.models import Booking

REVIEW_WINDOW = timedelta(days=14)  # from the booking's end
EDIT_WINDOW = timedelta(hours=48)  # from the first submission
COMMENT_MAX = 2000
REPORT_REASON_MAX = 500
HIDE_REASON_MAX = 500

TUTOR_DIMENSIONS: tuple[str, ...] = ("clarity", "knowledge", "patience", "punctuality")
LEARNER_DIMENSIONS: tuple[str, ...] = ("preparedness", "engagement")
ALL_DIMENSIONS = TUTOR_DIMENSIONS + LEARNER_DIMENSIONS

# Tags a learner may put on a tutor, and a tutor on a learner: slug → label.
TUTOR_TAGS: dict[str, str] = {
    "great-examples": "great examples",
    "clear-explanations": "clear explanations",
    "patient": "patient",
    "well-prepared": "well prepared",
    "encouraging": "encouraging",
    "ran-late": "ran late",
    "hard-to-follow": "hard to follow",
    "too-fast": "went too fast",
}
LEARNER_TAGS: dict[str, str] = {
    "well-prepared": "well prepared",
    "good-questions": "asked good questions",
    "engaged": "engaged",
    "on-time": "on time",
    "unprepared": "came unprepared",
    "distracted": "distracted",
    "ran-late": "ran late",
}


def window_closes_at(booking: Booking) -> datetime:
    """The last moment a participant may review ``booking``; also when every review of it is
    revealed whatever the other side did."""
    return booking.ends_at + REVIEW_WINDOW


def _score_in_range(name: str) -> Q:
    return Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 1, f"{name}__lte": 5})


def _present(names: tuple[str, ...]) -> Q:
    return Q(**{f"{n}__isnull": False for n in names})


def _absent(names: tuple[str, ...]) -> Q:
    return Q(**{f"{n}__isnull": True for n in names})


class Review(models.Model):
    class Direction(models.TextChoices):
        OF_TUTOR = "of_tutor", "Learner → tutor"
        OF_LEARNER = "of_learner", "Tutor → learner"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_written"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_received"
    )
    direction = models.CharField(max_length=12, choices=Direction.choices)
    clarity = models.PositiveSmallIntegerField(null=True, blank=True)
    knowledge = models.PositiveSmallIntegerField(null=True, blank=True)
    patience = models.PositiveSmallIntegerField(null=True, blank=True)
    punctuality = models.PositiveSmallIntegerField(null=True, blank=True)
    preparedness = models.PositiveSmallIntegerField(null=True, blank=True)
    engagement = models.PositiveSmallIntegerField(null=True, blank=True)
    # The mean of the direction's scores, kept with them by ``services`` (aggregates use it).
    overall = models.DecimalField(max_digits=3, decimal_places=2)
    comment = models.TextField(blank=True, max_length=COMMENT_MAX, help_text="Plain text.")
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Set once the subject was told they can read it (at most one notification per review).
    reveal_notified_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hidden_reason = models.CharField(max_length=HIDE_REASON_MAX, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subject", "direction", "hidden_at"], name="review_subject_idx"),
            models.Index(fields=["author", "-created_at"], name="review_author_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "author", "subject"], name="review_once_per_author_subject"
            ),
            models.CheckConstraint(condition=~Q(author=F("subject")), name="review_not_of_oneself"),
            *(
                models.CheckConstraint(
                    condition=_score_in_range(name), name=f"review_{name}_1_to_5"
                )
                for name in ALL_DIMENSIONS
            ),
            models.CheckConstraint(
                condition=(
                    Q(direction="of_tutor")
                    & _present(TUTOR_DIMENSIONS)
                    & _absent(LEARNER_DIMENSIONS)
                )
                | (
                    Q(direction="of_learner")
                    & _present(LEARNER_DIMENSIONS)
                    & _absent(TUTOR_DIMENSIONS)
                ),
                name="review_scores_match_direction",
            ),
            models.CheckConstraint(
                condition=Q(overall__gte=1, overall__lte=5), name="review_overall_1_to_5"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("comment"), COMMENT_MAX),
                name="review_comment_max_length",
            ),
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | ~Q(hidden_reason=""),
                name="review_hidden_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Review {self.pk} of user {self.subject_id} on booking {self.booking_id}"

    @property
    def dimensions(self) -> tuple[str, ...]:
        return TUTOR_DIMENSIONS if self.direction == self.Direction.OF_TUTOR else LEARNER_DIMENSIONS

    @property
    def scores(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.dimensions}

    @property
    def tag_labels(self) -> list[str]:
        known = TUTOR_TAGS if self.direction == self.Direction.OF_TUTOR else LEARNER_TAGS
        return [known.get(tag, tag) for tag in self.tags]

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def edit_until(self) -> datetime:
        """48 hours after the first submission (the reveal may end editing earlier; see
        ``selectors.can_edit``)."""
        return self.created_at + EDIT_WINDOW

    def compute_overall(self) -> Decimal:
        values = [getattr(self, name) for name in self.dimensions]
        mean = Decimal(sum(values)) / Decimal(len(values))
        return mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class ReviewRequest(models.Model):
    """One participant was asked to review one session: makes ``reviews_request`` idempotent."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking", "user"], name="review_request_once")
        ]


class ReviewReport(models.Model):
    """Someone flagged a review as abusive; a moderator resolves it (hiding the review or not)."""

    class Resolution(models.TextChoices):
        HIDDEN = "hidden", "Review hidden"
        DISMISSED = "dismissed", "Dismissed"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=REPORT_REASON_MAX)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "reporter"], name="review_report_once"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="")
                | Q(resolved_at__isnull=False) & ~Q(resolution=""),
                name="review_report_resolution_consistent",
            ),
        ]


class TutorRatingTotal(models.Model):
    """A tutor's visible learner → tutor reviews, summed: the sum of their overall scores and
    their count, so that searching and ranking thousands of tutors by rating reads one row each
    instead of aggregating reviews. Written only by ``services.rating_totals_refresh`` (called
    when a review is revealed or hidden) and ``services.rating_totals_rebuild``; a tutor without
    a visible review may have no row (read it as 0 and 0)."""

    tutor = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="rating_total",
    )
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=F("count")) & Q(total__lte=F("count") * 5),
                name="rating_total_within_scores",
            )
        ]

    def __str__(self) -> str:
        return f"rating total of user {self.tutor_id}: {self.total} / {self.count}"
