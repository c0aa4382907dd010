"""Admin for PeerLearn's LTI records. Registrations, deployments and keys are django-lti's
(``lti_tool``, registered by that app); here the institution of each platform (editable: it is
configuration), and the records the launch, deep-linking and grade services write (read-only)."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import BaseAdmin, RecordAdmin

from .models import Course, GradedLink, Placement, PlatformLink, ScoreReport, UsedLaunchValue


@admin.register(PlatformLink)
class PlatformLinkAdmin(BaseAdmin):
    list_display = ["registration", "institution", "trust_email"]
    list_select_related = ["registration", "institution"]
    list_filter = ["trust_email"]
    autocomplete_fields = ["institution"]


@admin.register(Course)
class CourseAdmin(RecordAdmin):
    list_display = ["title", "institution", "roster_synced_at", "created_at"]
    list_select_related = ["institution"]
    search_fields = ["title"]
    date_hierarchy = "created_at"


@admin.register(Placement)
class PlacementAdmin(RecordAdmin):
    list_display = ["title", "course", "kind", "graded", "created_at"]
    list_select_related = ["course"]
    list_filter = ["kind", "graded"]
    search_fields = ["title", "course__title"]


@admin.register(GradedLink)
class GradedLinkAdmin(RecordAdmin):
    list_display = ["placement", "user", "created_at"]
    list_select_related = ["placement", "user__profile"]
    search_fields = ["user__email", "placement__title"]


@admin.register(ScoreReport)
class ScoreReportAdmin(RecordAdmin):
    list_display = ["link", "score_given", "status", "attempts", "sent_at"]
    list_select_related = ["link__placement"]
    list_filter = ["status"]
    date_hierarchy = "created_at"


@admin.register(UsedLaunchValue)
class UsedLaunchValueAdmin(RecordAdmin):
    list_display = ["kind", "used_at"]
    list_filter = ["kind"]
