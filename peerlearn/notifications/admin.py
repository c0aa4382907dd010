from __future__ import annotations

from django.contrib import admin

from .models import Notification, NotificationDigest, NotificationSettings


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at", "emailed_at", "texted_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["title", "user__email"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "read_at", "emailed_at", "texted_at", "digested_at"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "email_enabled",
        "digest_enabled",
        "sms_opt_in",
        "phone_number",
        "updated_at",
    ]
    list_filter = ["email_enabled", "digest_enabled", "sms_opt_in"]
    search_fields = ["user__email", "phone_number"]
    raw_id_fields = ["user"]


@admin.register(NotificationDigest)
class NotificationDigestAdmin(admin.ModelAdmin):
    list_display = ["user", "local_date", "sent_at", "item_count"]
    list_filter = ["local_date"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["user", "local_date", "sent_at", "item_count"]
