"""Admin for PeerLearn's LTI records. Registrations, deployments and keys are django-lti's
(``lti_tool``, registered by that app); here the institution of each platform, the courses
and the score reports (to see what reached a gradebook)."""

from __future__ import annotations

from django.contrib import admin

from .models import Course, Placement, PlatformLink, ScoreReport


@admin.register(PlatformLink)
class PlatformLinkAdmin(admin.ModelAdmin):
    list_display = ["registration", "institution", "trust_email"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "institution", "roster_synced_at", "created_at"]
    readonly_fields = ["context", "category", "roster_synced_at", "created_at"]
    search_fields = ["title"]


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "kind", "graded", "created_at"]
    readonly_fields = ["token", "created_by", "created_at"]


@admin.register(ScoreReport)
class ScoreReportAdmin(admin.ModelAdmin):
    list_display = ["link", "score_given", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in ScoreReport._meta.fields]
