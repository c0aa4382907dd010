from __future__ import annotations

from django.contrib import admin

from .models import Notification, NotificationSettings


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at", "emailed_at", "texted_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["title", "user__email"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "read_at", "emailed_at", "texted_at"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled", "sms_opt_in", "phone_number", "updated_at"]
    list_filter = ["email_enabled", "sms_opt_in"]
    search_fields = ["user__email", "phone_number"]
    raw_id_fields = ["user"]
