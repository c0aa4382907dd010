"""Scheduling in the admin: bookings (with their participants and history) are records; the
one change made here is a cancellation for everyone, through the service."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import RecordAdmin, RecordInline, service_action

from . import services
from .models import (
    Booking,
    BookingEvent,
    BookingSeries,
    CalendarFeed,
    RescheduleProposal,
    SentReminder,
    TimeClaim,
    TutorPolicy,
)


class TimeClaimInline(RecordInline):
    model = TimeClaim
    fields = ["user", "role", "starts_at", "ends_at", "active"]


class BookingEventInline(RecordInline):
    model = BookingEvent
    fields = ["at", "actor", "action", "from_status", "to_status", "reason"]
    show_change_link = False


class RescheduleProposalInline(RecordInline):
    model = RescheduleProposal
    fields = ["proposed_by", "starts_at", "ends_at", "status", "created_at"]
    show_change_link = False


@admin.register(Booking)
class BookingAdmin(RecordAdmin):
    list_display = ["id", "subject", "tutor", "kind", "status", "starts_at", "created_at"]
    list_filter = ["status", "kind", "cancelled_late"]
    search_fields = ["=id", "=uid", "tutor__email", "title", "claims__user__email"]
    list_select_related = ["subject", "tutor"]
    date_hierarchy = "starts_at"
    inlines = [TimeClaimInline, BookingEventInline, RescheduleProposalInline]
    actions = [
        service_action(
            name="cancel_booking",
            description="Cancel for everyone",
            permission="operate",
            apply=lambda actor, booking, reason: services.booking_cancel_by_staff(
                actor=actor, booking_id=booking.pk, reason=reason
            ),
        )
    ]


@admin.register(TimeClaim)
class TimeClaimAdmin(RecordAdmin):
    list_display = ["booking_id", "user", "role", "starts_at", "ends_at", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__email", "=booking__id"]
    list_select_related = ["user"]
    date_hierarchy = "starts_at"


@admin.register(BookingEvent)
class BookingEventAdmin(RecordAdmin):
    list_display = ["at", "booking_id", "actor", "action", "from_status", "to_status", "reason"]
    list_filter = ["action", "to_status"]
    search_fields = ["=booking__id", "actor__email", "reason"]
    list_select_related = ["actor"]
    date_hierarchy = "at"


@admin.register(RescheduleProposal)
class RescheduleProposalAdmin(RecordAdmin):
    list_display = ["booking_id", "proposed_by", "starts_at", "ends_at", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["=booking__id", "proposed_by__email"]
    list_select_related = ["proposed_by"]
    date_hierarchy = "created_at"


@admin.register(BookingSeries)
class BookingSeriesAdmin(RecordAdmin):
    list_display = ["id", "created_by", "occurrences", "created_at"]
    search_fields = ["created_by__email"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"


@admin.register(SentReminder)
class SentReminderAdmin(RecordAdmin):
    list_display = ["booking_id", "user", "offset_minutes", "sequence", "sent_at"]
    search_fields = ["=booking__id", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "sent_at"


@admin.register(TutorPolicy)
class TutorPolicyAdmin(RecordAdmin):
    list_display = [
        "user",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "min_notice_hours",
        "max_sessions_per_day",
        "horizon_weeks",
    ]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(RecordAdmin):
    list_display = ["user", "created_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    exclude = ["token"]  # a credential: whoever has it reads the person's calendar
