"""Live rooms: one per booking (and, later, per practice session), with what happens inside
kept for afterwards: chat, shared files, whiteboard strokes and shared notes."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from peerlearn.accounts.models import private_storage
from peerlearn.scheduling.models import Booking


class Room(models.Model):
    """A room belongs to exactly one owner: a booking or a practice session."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    booking = models.OneToOneField(
        Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="room"
    )
    practice_session = models.OneToOneField(
        "practice.PracticeSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="room",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The chat's tail, written only by ``services.chat_post`` under the row's lock: the id of
    # the room's last message (0: none) and of the one before it. The last message's id is
    # taken under that lock, so ids of one room grow in commit order.
    chat_last_id = models.BigIntegerField(default=0, editable=False)
    chat_prev_id = models.BigIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(booking__isnull=False, practice_session__isnull=True)
                | Q(booking__isnull=True, practice_session__isnull=False),
                name="room_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"Room {self.uid}"


def room_file_path(instance: RoomFile, filename: str) -> str:
    return f"rooms/{instance.room.uid}/{filename}"


class RoomFile(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="files")
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file = models.FileField(upload_to=room_file_path, storage=private_storage, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)


class ChatMessage(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=4000, help_text="Markdown source")
    html = models.TextField(help_text="Rendered and sanitized once, when stored")
    file = models.ForeignKey(
        RoomFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    client_id = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="Chosen by the sending browser; a resend with the same id is not stored again",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["room", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "author", "client_id"],
                condition=~Q(client_id=""),
                name="chat_message_once_per_client_id",
            )
        ]


class RoomPresence(models.Model):
    """Who is in a room right now, one row per open socket: a newcomer reads the list instead
    of every member introducing itself over the channel layer (which is O(n²) per full room).
    A socket refreshes ``seen_at`` with its heartbeat; rows of a process that died stop being
    refreshed and are ignored after ``live.selectors.PRESENCE_TTL``."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["room", "seen_at"])]


class WhiteboardStroke(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="strokes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(help_text="{color, width, points: [[x, y], ...]} in 0..1 coordinates")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class SharedNotes(models.Model):
    """The room's shared notes. ``version`` grows with every accepted edit; an edit based on an
    older version is not applied blindly but merged or returned as a conflict."""

    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(blank=True, max_length=100_000)
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)


class NotesRevision(models.Model):
    """Every accepted version of the notes, so nothing typed is ever lost."""

    notes = models.ForeignKey(SharedNotes, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    text = models.TextField(max_length=100_000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notes", "version"], name="one_revision_per_version")
        ]
