"""Matching in the admin: ranker versions and search documents are computed, never typed;
rebuilding a document is also a user action (added here to the accounts' user admin: matching
sits above accounts), retraining is on the admin's home."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from peerlearn.accounts.admin import UserAdmin as AccountsUserAdmin
from peerlearn.accounts.adminkit import RecordAdmin, service_action
from peerlearn.accounts.models import User

from . import staff
from .models import Impression, RankerVersion, TutorDocument


@admin.register(RankerVersion)
class RankerVersionAdmin(RecordAdmin):
    list_display = ["id", "trained_at", "sample_count"]
    date_hierarchy = "trained_at"


@admin.register(TutorDocument)
class TutorDocumentAdmin(RecordAdmin):
    list_display = ["user", "week_mask", "updated_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "updated_at"
    exclude = ["search_vector"]
    actions = [
        service_action(
            name="rebuild_document",
            description="Rebuild from the profile",
            permission="operate",
            reason=False,
            apply=lambda actor, document, reason: staff.tutor_document_rebuild(
                actor=actor, user=document.user
            ),
        )
    ]


@admin.register(Impression)
class ImpressionAdmin(RecordAdmin):
    """What recommendations, search and help requests showed, and what came of it (the log the
    ranker learns from); a large table, so filtered by date rather than a date hierarchy."""

    list_display = ["shown_at", "surface", "viewer", "tutor", "position", "explored", "booked_at"]
    list_select_related = ["viewer", "tutor"]
    list_filter = ["surface", "explored", ("shown_at", admin.DateFieldListFilter)]
    search_fields = ["viewer__email", "tutor__email"]


class UserAdmin(AccountsUserAdmin):
    """The accounts' user admin with matching's action: rebuild the person's search document."""

    actions = [
        *AccountsUserAdmin.actions,
        service_action(
            name="rebuild_search_document",
            description="Rebuild search document",
            permission="rebuild",
            reason=False,
            apply=lambda actor, user, reason: staff.tutor_document_rebuild(actor=actor, user=user),
        ),
    ]

    def has_rebuild_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("matching.change_tutordocument")


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
