"""Notifications in the admin: records (delivery is the services' and tasks' job)."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import RecordAdmin

from .models import Notification, NotificationDigest, NotificationSettings


@admin.register(Notification)
class NotificationAdmin(RecordAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at", "emailed_at", "texted_at"]
    list_filter = ["kind"]
    search_fields = ["title", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(RecordAdmin):
    list_display = ["user", "email_enabled", "digest_enabled", "sms_opt_in", "updated_at"]
    list_filter = ["email_enabled", "digest_enabled", "sms_opt_in"]
    search_fields = ["user__email", "phone_number"]
    list_select_related = ["user"]


@admin.register(NotificationDigest)
class NotificationDigestAdmin(RecordAdmin):
    list_display = ["user", "local_date", "sent_at", "item_count"]
    list_filter = ["local_date"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "sent_at"
