"""Practice-partner matching in the admin: records (ratings follow judged submissions)."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import RecordAdmin

from .models import PartnerRequest, PracticeRating, RatingChange


@admin.register(PracticeRating)
class PracticeRatingAdmin(RecordAdmin):
    list_display = ["user", "topic", "rating", "games", "updated_at"]
    list_filter = ["topic"]
    search_fields = ["user__email"]
    list_select_related = ["user", "topic"]


@admin.register(RatingChange)
class RatingChangeAdmin(RecordAdmin):
    list_display = ["submission_id", "user", "topic", "before", "after", "created_at"]
    search_fields = ["user__email"]
    list_select_related = ["user", "topic"]
    date_hierarchy = "created_at"


@admin.register(PartnerRequest)
class PartnerRequestAdmin(RecordAdmin):
    list_display = ["user", "topic", "difficulty", "status", "partner", "created_at"]
    list_filter = ["status", "difficulty"]
    search_fields = ["user__email"]
    list_select_related = ["user", "topic", "partner"]
    date_hierarchy = "created_at"
