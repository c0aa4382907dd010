"""Analytics in the admin: the rollups are computed by ``services.rollup_days`` (never typed;
``manage.py analytics_rollup --backfill`` recomputes), and goals belong to their learners."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import RecordAdmin

from .models import ActiveUserDay, DailyMetric, LearnerGoal, RollupDay


@admin.register(RollupDay)
class RollupDayAdmin(RecordAdmin):
    list_display = ["day", "computed_at"]
    list_filter = [("day", admin.DateFieldListFilter)]


@admin.register(DailyMetric)
class DailyMetricAdmin(RecordAdmin):
    list_display = ["day", "name", "key", "institution", "is_total", "count", "total"]
    list_select_related = ["institution"]
    list_filter = ["name", "is_total", ("day", admin.DateFieldListFilter)]
    search_fields = ["name", "key"]


@admin.register(ActiveUserDay)
class ActiveUserDayAdmin(RecordAdmin):
    list_display = ["day", "user", "institution"]
    list_select_related = ["user", "institution"]
    list_filter = [("day", admin.DateFieldListFilter)]
    search_fields = ["user__email"]


@admin.register(LearnerGoal)
class LearnerGoalAdmin(RecordAdmin):
    list_display = ["user", "kind", "subject", "target", "starts_on", "due_on"]
    list_select_related = ["user", "subject"]
    list_filter = ["kind"]
    search_fields = ["user__email"]
