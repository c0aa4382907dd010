"""The learned ranker's versions (each training run stores its weights and metrics) and the
tutors' full-text search documents."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
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


class TutorDocument(models.Model):
    """A tutor's searchable text, denormalized: display name, bio, the names of the subjects they
    teach and of those subjects' parents; and their weekly availability as bits (``week_mask``).
    Written only by ``services.tutor_document_refresh`` / ``tutor_documents_rebuild``;
    ``search_vector`` (PostgreSQL only, weighted: name A, taught subjects B, bio C, parents D)
    carries a GIN index created by migration 0002."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tutor_document"
    )
    text = models.TextField(blank=True)
    search_vector = SearchVectorField(null=True, blank=True)
    week_mask = models.PositiveIntegerField(
        default=0, help_text="weekly availability bits (matching.week.week_mask)"
    )
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            # A broad search ranks the documents changed last, read in this index's order
            # (selectors.ranked_page_query).
            models.Index(fields=["updated_at", "user"], name="matching_doc_recent"),
        ]

    def __str__(self) -> str:
        return f"search document of user {self.user_id}"
