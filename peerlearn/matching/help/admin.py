"""Help requests in the admin: records (offers and acceptance follow the matching rules)."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import RecordAdmin, RecordInline

from .models import HelpOffer, HelpRequest


class HelpOfferInline(RecordInline):
    model = HelpOffer
    fields = ["tutor", "round", "rank", "status", "offered_at", "responded_at"]


@admin.register(HelpRequest)
class HelpRequestAdmin(RecordAdmin):
    list_display = ["id", "learner", "subject", "status", "round", "created_at", "closed_at"]
    list_filter = ["status"]
    search_fields = ["=id", "learner__email", "subject__name"]
    list_select_related = ["learner", "subject"]
    date_hierarchy = "created_at"
    inlines = [HelpOfferInline]


@admin.register(HelpOffer)
class HelpOfferAdmin(RecordAdmin):
    list_display = ["request_id", "tutor", "round", "rank", "status", "offered_at"]
    list_filter = ["status"]
    search_fields = ["tutor__email", "=request__id"]
    list_select_related = ["tutor"]
    date_hierarchy = "offered_at"
