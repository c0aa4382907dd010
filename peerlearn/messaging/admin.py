"""Messaging in the admin: records only. Message bodies are private: staff with the view
permission (Administrators) can read them here; moderators see reported messages in their queue."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import RecordAdmin, RecordInline

from .models import (
    Attachment,
    Block,
    Conversation,
    Membership,
    Message,
    MessageReport,
    MessagingSettings,
)


class MembershipInline(RecordInline):
    model = Membership
    fields = ["user", "joined_at", "last_read_id", "last_read_at"]
    show_change_link = False


@admin.register(Conversation)
class ConversationAdmin(RecordAdmin):
    list_display = ["id", "title", "is_group", "created_by", "booking_id", "last_message_at"]
    list_filter = ["is_group"]
    search_fields = ["=id", "title", "memberships__user__email"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    exclude = ["direct_key"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(RecordAdmin):
    list_display = ["conversation_id", "user", "joined_at", "last_read_at"]
    search_fields = ["user__email", "=conversation__id"]
    list_select_related = ["user"]
    date_hierarchy = "joined_at"


@admin.register(Message)
class MessageAdmin(RecordAdmin):
    list_display = ["id", "conversation_id", "author", "created_at"]
    search_fields = ["=id", "=conversation__id", "author__email"]
    list_select_related = ["author"]
    date_hierarchy = "created_at"


@admin.register(Attachment)
class AttachmentAdmin(RecordAdmin):
    list_display = ["original_name", "message_id", "content_type", "size", "created_at"]
    list_filter = ["is_image"]
    search_fields = ["original_name"]
    date_hierarchy = "created_at"
    exclude = ["file", "thumbnail"]


@admin.register(MessagingSettings)
class MessagingSettingsAdmin(RecordAdmin):
    list_display = ["user", "read_receipts"]
    list_filter = ["read_receipts"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(Block)
class BlockAdmin(RecordAdmin):
    list_display = ["blocker", "blocked", "created_at"]
    search_fields = ["blocker__email", "blocked__email"]
    list_select_related = ["blocker", "blocked"]
    date_hierarchy = "created_at"


@admin.register(MessageReport)
class MessageReportAdmin(RecordAdmin):
    list_display = ["message_id", "reporter", "reason", "created_at", "resolved_at", "resolution"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["reporter__email", "reason"]
    list_select_related = ["reporter"]
    date_hierarchy = "created_at"
