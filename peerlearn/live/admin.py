"""Live rooms in the admin: records only (chat, files, notes and strokes are written by the
room's services as people use it)."""

from __future__ import annotations

from django.contrib import admin

from peerlearn.accounts.adminkit import RecordAdmin

from .models import (
    ChatMessage,
    NotesRevision,
    Room,
    RoomFile,
    RoomPresence,
    SharedNotes,
    WhiteboardStroke,
)


@admin.register(Room)
class RoomAdmin(RecordAdmin):
    list_display = ["uid", "booking_id", "practice_session_id", "created_at", "chat_last_id"]
    search_fields = ["=uid", "=booking__id"]
    date_hierarchy = "created_at"


@admin.register(RoomFile)
class RoomFileAdmin(RecordAdmin):
    list_display = ["original_name", "room_id", "uploader", "content_type", "size", "created_at"]
    list_filter = ["content_type"]
    search_fields = ["original_name", "uploader__email"]
    list_select_related = ["uploader"]
    date_hierarchy = "created_at"
    exclude = ["file"]


@admin.register(ChatMessage)
class ChatMessageAdmin(RecordAdmin):
    list_display = ["id", "room_id", "author", "short_body", "created_at"]
    search_fields = ["author__email", "=room__id"]
    list_select_related = ["author"]
    date_hierarchy = "created_at"
    exclude = ["html"]

    @admin.display(description="Message")
    def short_body(self, obj: ChatMessage) -> str:
        return obj.body[:80]


@admin.register(RoomPresence)
class RoomPresenceAdmin(RecordAdmin):
    list_display = ["room_id", "user", "channel", "seen_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(WhiteboardStroke)
class WhiteboardStrokeAdmin(RecordAdmin):
    list_display = ["id", "room_id", "author", "created_at"]
    search_fields = ["author__email", "=room__id"]
    list_select_related = ["author"]
    date_hierarchy = "created_at"


@admin.register(SharedNotes)
class SharedNotesAdmin(RecordAdmin):
    list_display = ["room_id", "version", "updated_by", "updated_at"]
    search_fields = ["=room__id", "updated_by__email"]
    list_select_related = ["updated_by"]
    date_hierarchy = "updated_at"


@admin.register(NotesRevision)
class NotesRevisionAdmin(RecordAdmin):
    list_display = ["notes_id", "version", "author", "created_at"]
    search_fields = ["author__email"]
    list_select_related = ["author"]
    date_hierarchy = "created_at"
