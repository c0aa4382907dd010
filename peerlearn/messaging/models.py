"""Direct conversations (two people, or a small group), their messages and attachments, per-user
messaging preferences, blocks and reports to moderators."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from peerlearn.accounts.models import private_storage

MAX_GROUP_MEMBERS = 8


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"messages/{instance.conversation_id}/{filename}"


class Conversation(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=120, blank=True)
    is_group = models.BooleanField(default=False)
    # "<small id>:<large id>" for a two-person conversation: the database keeps it unique, so
    # two people always share one direct conversation even if both start it at once.
    direct_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    booking = models.ForeignKey(
        "scheduling.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_message_id = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class Membership(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    last_read_id = models.PositiveBigIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)
    # True once an unread-message notification went out; cleared when the member reads. At most
    # one notification per conversation until then.
    notified = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="msg_one_membership")
        ]
        indexes = [models.Index(fields=["user", "conversation"], name="msg_member_user")]


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="direct_messages"
    )
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "id"], name="msg_conv_id")]


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to=attachment_path, storage=private_storage, max_length=300)
    thumbnail = models.FileField(
        upload_to=attachment_path, storage=private_storage, max_length=300, blank=True
    )
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    is_image = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)


class MessagingSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messaging_settings"
    )
    read_receipts = models.BooleanField(default=True)


class Block(models.Model):
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="msg_one_block"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="msg_no_self_block"),
        ]


class MessageReport(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="msg_one_report")
        ]
