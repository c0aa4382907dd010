"""The learned ranker's versions (each training run stores its weights and metrics) and the
tutors' full-text search documents."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models


class RankerVersion(models.Model):
    """One trained weight vector over ``recommend.FEATURES`` (by name) with its held-out
    evaluation; served only when ``promoted`` (ranker.train / ranker.current_model)."""

    weights = models.JSONField(help_text="{feature name: weight}")
    features = models.JSONField(default=list)
    trained_at = models.DateTimeField(auto_now_add=True)
    sample_count = models.PositiveIntegerField(help_text="training pairs")
    metrics = models.JSONField(default=dict, blank=True)
    promoted = models.BooleanField(
        default=False, help_text="won its held-out evaluation: served (the newest promoted one)"
    )

    class Meta:
        ordering = ["-trained_at", "-pk"]

    def __str__(self) -> str:
        return (
            f"ranker v{self.pk} ({self.sample_count} pairs{', promoted' if self.promoted else ''})"
        )


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


class Impression(models.Model):
    """One tutor shown to one person, on one surface, at one position: the log the ranker learns
    from (shown but not chosen = a negative) and the dashboards count "match success" with.

    The shape is a contract other apps read (through ``selectors.impression_*`` only):

    * ``slate`` — one UUID for every row of the same list shown at once (one page of search
      results, one "Recommended for you" list, one help-request round);
    * ``surface`` — ``recommended`` (page or API), ``search`` (page or API) or ``help_offer``;
    * ``viewer`` — who saw the list (the learner; for ``help_offer`` the learner who asked);
      anonymous searches are not logged (nobody to link an outcome to);
    * ``tutor``, ``subject`` (the subject asked about; null when none), ``position`` (1 = first);
    * ``score`` (the served score; 0 for a search sorted by something else), ``propensity``
      (the probability the serving policy put this tutor in this slate: below 1 for an explored
      slot, the inverse-propensity weight is ``1 / propensity``), ``explored`` and
      ``ranker_version`` (null: the hand-set prior);
    * ``features`` — ``{feature name: value}`` exactly as scored at ``shown_at`` (no later data);
    * outcome links: ``booking`` (the booking this impression led to: the learner booked that
      tutor within ``services.ATTRIBUTION_DAYS`` after it was shown, the latest impression
      before the booking wins; filled by ``services.impressions_attribute``, which training and
      the periodic task run) with ``booked_at``; ``help_offer`` for the ``help_offer`` surface.
    """

    class Surface(models.TextChoices):
        RECOMMENDED = "recommended", "Recommended for you"
        SEARCH = "search", "Tutor search"
        HELP_OFFER = "help_offer", "Help-request offer"

    slate = models.UUIDField(db_index=True)
    surface = models.CharField(max_length=12, choices=Surface.choices)
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="impressions_seen"
    )
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="impressions_shown"
    )
    subject = models.ForeignKey(
        "accounts.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField(help_text="1 = first in the list shown")
    score = models.FloatField(default=0.0)
    propensity = models.FloatField(default=1.0)
    explored = models.BooleanField(default=False)
    ranker_version = models.ForeignKey(
        RankerVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    features = models.JSONField(default=dict, blank=True)
    shown_at = models.DateTimeField(db_index=True)
    booking = models.ForeignKey(
        "scheduling.Booking",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="impressions",
    )
    booked_at = models.DateTimeField(null=True, blank=True)
    help_offer = models.ForeignKey(
        "matching_help.HelpOffer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="impressions",
    )

    class Meta:
        ordering = ["-shown_at", "slate", "position"]
        indexes = [
            models.Index(fields=["viewer", "tutor", "-shown_at"], name="matching_imp_pair"),
            models.Index(fields=["surface", "shown_at"], name="matching_imp_surface"),
            models.Index(fields=["tutor", "shown_at"], name="matching_imp_tutor"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(propensity__gt=0) & models.Q(propensity__lte=1),
                name="matching_imp_propensity_range",
            ),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="matching_imp_pos"),
        ]

    def __str__(self) -> str:
        return f"tutor {self.tutor_id} at {self.position} for {self.viewer_id} ({self.surface})"
