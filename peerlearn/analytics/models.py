"""Daily rollups that the dashboards read instead of scanning the platform's tables, and the
goals a learner sets for themselves.

``DailyMetric`` holds one row per (day, institution, metric name, key): how many things
happened (``count``) and the sum of a value they carry (``total``: seconds, scores). A day is a
calendar day in ``settings.ANALYTICS_TIME_ZONE``; the institution is the one of the person the
metric is about (``None``: people without one); ``is_total`` rows sum a day's rows over every
institution. Rows are written only by
``services.rollup_days``, which replaces a whole day at a time under that day's
``RollupDay`` lock, so recomputing a day any number of times gives the same rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from peerlearn.accounts.models import Institution, Subject


class RollupDay(models.Model):
    """One computed day: its lock (a run holds it while replacing the day's rows) and when."""

    day = models.DateField(primary_key=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"rollup of {self.day}"


class DailyMetric(models.Model):
    day = models.DateField()
    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=40, help_text="A key of metrics.METRICS")
    key = models.CharField(max_length=40, blank=True, help_text="A breakdown: verdict, bucket …")
    count = models.BigIntegerField(default=0)
    total = models.FloatField(default=0, help_text="The sum of the values (seconds, scores)")
    # The platform's row: every institution's (and no institution's) rows of the day summed, so
    # that the whole platform's report reads as few rows as one institution's.
    is_total = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["is_total", "institution", "day"], name="metric_scope_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.name}[{self.key}] = {self.count}"


class ActiveUserDay(models.Model):
    """A person did something on a day (analytics zone): daily, weekly and monthly active
    people are counted from these rows by the rollup, never from the source tables."""

    day = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "user"], name="active_once_per_day"),
        ]
        indexes = [models.Index(fields=["day", "institution"], name="active_day_institution")]


class LearnerGoal(models.Model):
    """A target a learner set: sessions in a subject, hours, or problems solved by a date."""

    class Kind(models.TextChoices):
        SESSIONS = "sessions", "Sessions attended"
        HOURS = "hours", "Hours of sessions"
        SOLVES = "solves", "Problems solved"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner_goals"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    subject = models.ForeignKey(
        Subject, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target = models.PositiveIntegerField()
    starts_on = models.DateField()
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(target__gte=1), name="goal_target_positive"),
            models.CheckConstraint(
                condition=Q(starts_on__lte=models.F("due_on")), name="goal_starts_before_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ≥ {self.target} by {self.due_on}"
