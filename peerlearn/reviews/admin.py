"""Reviews in the admin: records; hiding and showing go through the review services (which
keep the rating totals right and write the audit log)."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import RecordAdmin, RecordInline, service_action

from . import services
from .models import Review, ReviewReport, ReviewRequest, TutorRatingTotal


class ReviewReportInline(RecordInline):
    model = ReviewReport
    fields = ["reporter", "reason", "created_at", "resolved_at", "resolution"]
    fk_name = "review"


@admin.register(Review)
class ReviewAdmin(RecordAdmin):
    list_display = ["id", "booking_id", "author", "subject", "direction", "overall", "hidden_at"]
    list_filter = ["direction", ("hidden_at", admin.EmptyFieldListFilter)]
    search_fields = ["=id", "=booking__id", "author__email", "subject__email", "comment"]
    list_select_related = ["author", "subject"]
    date_hierarchy = "created_at"
    inlines = [ReviewReportInline]
    actions = [
        service_action(
            name="hide_review",
            description="Hide",
            permission="moderate",
            apply=lambda actor, review, reason: services.review_hide(
                actor=actor, review_id=review.pk, reason=reason
            ),
        ),
        service_action(
            name="unhide_review",
            description="Show again",
            permission="moderate",
            apply=lambda actor, review, reason: services.review_unhide(
                actor=actor, review_id=review.pk, reason=reason
            ),
        ),
    ]


@admin.register(ReviewReport)
class ReviewReportAdmin(RecordAdmin):
    list_display = ["review_id", "reporter", "reason", "created_at", "resolved_at", "resolution"]
    list_filter = ["resolution", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["reporter__email", "reason"]
    list_select_related = ["reporter"]
    date_hierarchy = "created_at"


@admin.register(ReviewRequest)
class ReviewRequestAdmin(RecordAdmin):
    list_display = ["booking_id", "user", "sent_at"]
    search_fields = ["=booking__id", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "sent_at"


@admin.register(TutorRatingTotal)
class TutorRatingTotalAdmin(RecordAdmin):
    list_display = ["tutor", "total", "count", "updated_at"]
    search_fields = ["tutor__email"]
    list_select_related = ["tutor"]
