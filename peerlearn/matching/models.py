"""The learned ranker's versions: each training run stores its weights and metrics."""

from __future__ import annotations

from django.db import models


class RankerVersion(models.Model):
    """One trained weight vector over ``recommend.FEATURES`` (in that order)."""

    weights = models.JSONField(help_text="{feature name: weight}")
    features = models.JSONField(default=list)
    trained_at = models.DateTimeField(auto_now_add=True)
    sample_count = models.PositiveIntegerField(help_text="training pairs")
    metrics = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-trained_at", "-pk"]

    def __str__(self) -> str:
        return f"ranker v{self.pk} ({self.sample_count} pairs)"
