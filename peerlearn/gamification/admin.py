"""The points ledger in the admin: records only. Points are awarded once per cause by
``gamification.services``; totals are rebuilt from the ledger, never typed in."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import RecordAdmin

from .models import BadgeAward, PointAward, PointTotal


@admin.register(PointAward)
class PointAwardAdmin(RecordAdmin):
    list_display = ["user", "points", "cause", "object_id", "title", "earned_at"]
    list_filter = ["cause"]
    search_fields = ["user__email", "title"]
    list_select_related = ["user"]
    date_hierarchy = "earned_at"


@admin.register(PointTotal)
class PointTotalAdmin(RecordAdmin):
    list_display = ["user", "points", "updated_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(BadgeAward)
class BadgeAwardAdmin(RecordAdmin):
    list_display = ["user", "badge", "earned_at"]
    list_filter = ["badge"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "earned_at"
