"""Writes for direct messages. Every rule lives here: membership, group size, blocks, rate
limits, attachment checks, read receipts and the one-notification-until-read rule. Messages are
stored, then published on commit to the members' messaging groups."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts.audit import audit_record
from peerlearn.accounts.models import User
from peerlearn.common import ratelimit
from peerlearn.common.errors import Forbidden, Invalid, NotFound
from peerlearn.common.realtime import broadcast, person
from peerlearn.common.uploads import DOCUMENT_TYPES, IMAGE_TYPES, check_upload, reencode_image
from peerlearn.notifications.models import Notification
from peerlearn.notifications.services import notify
from peerlearn.scheduling.hooks import BookingAsked
from peerlearn.scheduling.selectors import access_booking

from . import events, selectors
from .models import (
    MAX_GROUP_MEMBERS,
    Attachment,
    Block,
    Conversation,
    Membership,
    Message,
    MessageReport,
    MessagingSettings,
)

MAX_BODY_CHARS = 4000
MAX_TITLE_CHARS = 120
ATTACHMENT_TYPES = {**DOCUMENT_TYPES, **IMAGE_TYPES}
IMAGE_MAX_SIDE = 1600
THUMBNAIL_SIDE = 320
SEND_LIMIT, SEND_WINDOW = 30, 60  # messages a minute
START_LIMIT, START_WINDOW = 20, 3600  # new conversations an hour
REPORT_LIMIT, REPORT_WINDOW = 10, 3600  # reports an hour
PREVIEW_CHARS = 140


def max_attachment_bytes() -> int:
    return int(settings.MESSAGE_MAX_ATTACHMENT_BYTES)


# --- events --------------------------------------------------------------------------------


def attachment_out(item: Attachment) -> events.AttachmentOut:
    return {
        "id": item.pk,
        "name": item.original_name,
        "size": item.size,
        "content_type": item.content_type,
        "is_image": item.is_image,
        "url": reverse("messaging:attachment", args=[item.pk]),
        "thumbnail_url": reverse("messaging:thumbnail", args=[item.pk]) if item.is_image else "",
        "image_url": reverse("messaging:image", args=[item.pk]) if item.is_image else "",
    }


def message_event(message: Message) -> events.MessageEvent:
    return {
        "type": "msg.new",
        "conversation": message.conversation_id,
        "id": message.pk,
        "author": person(message.author),
        "body": message.body,
        "created_at": message.created_at.isoformat(),
        "attachments": [attachment_out(a) for a in message.attachments.all()],
    }


def _publish_to_members(
    event: events.MessageEvent | events.ReadEvent, *, user_ids: Sequence[int]
) -> None:
    for user_id in user_ids:
        broadcast(events.user_group(user_id), event)


# --- blocks elsewhere --------------------------------------------------------------------------


def booking_asked(event: BookingAsked) -> None:
    """Scheduling's hook (subscribed in ``MessagingConfig.ready``), run before a request is
    stored: a tutor who blocked the learner accepts no session requests from them."""
    if selectors.is_blocked(event.tutor, event.learner):
        raise Forbidden("This tutor is not accepting session requests from you.", code="blocked")


# --- conversations -------------------------------------------------------------------------


def _check_not_blocked(actor: User, other: User) -> None:
    if selectors.is_blocked(other, actor):
        raise Forbidden(f"{other.display_name} is not accepting messages from you.", code="blocked")
    if selectors.is_blocked(actor, other):
        raise Forbidden(
            f"You blocked {other.display_name}. Unblock them to send messages.", code="you_blocked"
        )


def conversation_start(
    *,
    actor: User,
    with_ids: Sequence[int],
    title: str = "",
    booking_id: int | None = None,
) -> Conversation:
    """Open a conversation between ``actor`` and ``with_ids`` (active users, not the actor).

    One other person: their direct conversation, created once (the database keeps one per
    pair; an existing one is returned). Two or more: a new group of at most
    ``MAX_GROUP_MEMBERS`` people including the actor. Refused when a block stands between the
    actor and anyone invited. ``booking_id``, when given, must be a booking the actor takes part
    in; it is remembered as the conversation's context."""
    ids = sorted({int(i) for i in with_ids} - {actor.pk})
    if not ids:
        raise Invalid("Choose someone to message.", code="no_recipient", field="with")
    if len(ids) + 1 > MAX_GROUP_MEMBERS:
        raise Invalid(
            f"A group has at most {MAX_GROUP_MEMBERS} people.", code="group_too_large", field="with"
        )
    others = list(User.objects.filter(pk__in=ids, is_active=True).select_related("profile"))
    if len(others) != len(ids):
        raise NotFound("No such person.")
    for other in others:
        _check_not_blocked(actor, other)
    booking = None
    if booking_id is not None:
        booking = access_booking(user=actor, booking_id=booking_id)
    if len(others) == 1:
        existing = selectors.direct_conversation(actor, others[0])
        if existing is not None:
            if booking is not None and existing.booking_id is None:
                existing.booking = booking
                existing.save(update_fields=["booking"])
            return existing
    ratelimit.check(
        f"messaging:start:{actor.pk}",
        limit=START_LIMIT,
        window_seconds=START_WINDOW,
        message="You started many conversations in a short time. Try again later.",
    )
    is_group = len(others) > 1
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                created_by=actor,
                is_group=is_group,
                title=title.strip()[:MAX_TITLE_CHARS] if is_group else "",
                direct_key=None if is_group else selectors.direct_key(actor.pk, others[0].pk),
                booking=booking,
            )
            Membership.objects.bulk_create(
                [Membership(conversation=conversation, user=u) for u in [actor, *others]]
            )
    except IntegrityError:  # the other person started it at the same moment
        existing = selectors.direct_conversation(actor, others[0])
        if existing is None:
            raise
        return existing
    return conversation


# --- messages ------------------------------------------------------------------------------


def _store_attachment(*, message: Message, upload: UploadedFile) -> Attachment:
    checked = check_upload(
        upload, allowed=ATTACHMENT_TYPES, max_bytes=max_attachment_bytes(), field="file"
    )
    item = Attachment(
        message=message,
        conversation_id=message.conversation_id,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=len(checked.content),
    )
    stem = checked.storage_name().rsplit(".", 1)[0]
    if checked.content_type in IMAGE_TYPES:
        # Re-encoded: whatever was appended to or hidden in the file does not survive.
        full = reencode_image(checked.content, max_side=IMAGE_MAX_SIDE)
        item.is_image = True
        item.content_type = "image/webp"
        item.size = full.size
        item.original_name = f"{checked.original_name.rsplit('.', 1)[0][:140]}.webp"
        item.file.save(f"{stem}.webp", full, save=False)
        item.thumbnail.save(
            f"{stem}-thumb.webp",
            reencode_image(checked.content, max_side=THUMBNAIL_SIDE),
            save=False,
        )
    else:
        from django.core.files.base import ContentFile

        item.file.save(checked.storage_name(), ContentFile(checked.content), save=False)
    item.save()
    return item


def preview(message: Message, attachment: Attachment | None) -> str:
    text = " ".join(message.body.split())
    if not text and attachment is not None:
        text = f"sent {'an image' if attachment.is_image else 'a file'}: {attachment.original_name}"
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def message_send(
    *,
    actor: User,
    conversation_id: int,
    body: str,
    upload: UploadedFile | None = None,
) -> Message:
    """Store a message (plain text, optionally one attachment) from a member and publish it.

    Refused for non-members (NotFound), when someone in the conversation blocked the actor or
    the actor blocked the other person of a direct conversation (Forbidden), past the send rate
    limit, and for an attachment that fails the content checks or the size limit.

    Effects: the conversation moves to the top of everyone's list; the actor's own read marker
    follows their message; each other member not looking at the conversation right now gets
    one notification, and no more until they read it; on commit ``msg.new`` goes to every
    member's messaging sockets."""
    conversation = selectors.access_conversation(user=actor, conversation_id=conversation_id)
    body = body.strip()
    if not body and upload is None:
        raise Invalid("Type a message or attach a file.", code="empty", field="body")
    if len(body) > MAX_BODY_CHARS:
        raise Invalid(
            f"Messages are at most {MAX_BODY_CHARS} characters.", code="too_long", field="body"
        )
    others = [m.user for m in conversation.members if m.user_id != actor.pk]  # type: ignore[attr-defined]
    for other in others:
        if selectors.is_blocked(other, actor):
            raise Forbidden(
                "You cannot send messages here: someone in this conversation blocked you."
                if conversation.is_group
                else f"{other.display_name} is not accepting messages from you.",
                code="blocked",
            )
        if not conversation.is_group and selectors.is_blocked(actor, other):
            raise Forbidden(
                f"You blocked {other.display_name}. Unblock them to send messages.",
                code="you_blocked",
            )
    ratelimit.check(
        f"messaging:send:{actor.pk}",
        limit=SEND_LIMIT,
        window_seconds=SEND_WINDOW,
        message="You are sending messages too fast. Wait a moment.",
    )
    with transaction.atomic():
        locked = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation.pk)
        message = Message.objects.create(conversation=locked, author=actor, body=body)
        attachment = _store_attachment(message=message, upload=upload) if upload else None
        locked.last_message_id = message.pk
        locked.last_message_at = message.created_at
        locked.save(update_fields=["last_message_id", "last_message_at"])
        Membership.objects.filter(conversation=locked, user=actor).update(
            last_read_id=message.pk, last_read_at=timezone.now(), notified=False
        )
        _notify_members(actor=actor, conversation=locked, message=message, attachment=attachment)
        _publish_to_members(
            message_event(message),
            user_ids=[actor.pk, *(o.pk for o in others)],
        )
    return message


def _notify_members(
    *, actor: User, conversation: Conversation, message: Message, attachment: Attachment | None
) -> None:
    url = reverse("messaging:conversation", args=[conversation.pk])
    title = (
        f"{actor.display_name} in {conversation.title or 'a group conversation'}"
        if conversation.is_group
        else f"New message from {actor.display_name}"
    )
    members = Membership.objects.filter(conversation=conversation).exclude(user=actor)
    for member in members.select_related("user__profile"):
        if selectors.is_viewing(conversation_id=conversation.pk, user_id=member.user_id):
            continue
        # The conditional update is the dedupe: of two concurrent sends, one flips the flag.
        if not Membership.objects.filter(pk=member.pk, notified=False).update(notified=True):
            continue
        notify(
            user=member.user,
            kind=Notification.Kind.MESSAGE,
            title=title,
            body=preview(message, attachment),
            url=url,
        )


def conversation_mark_read(*, actor: User, conversation_id: int, last_id: int) -> Membership:
    """Move the actor's read marker forward to ``last_id`` (never back, never past the newest
    message). Clears the pending-notification flag, so the next unread message notifies again.
    When the marker moved and the reader shares read receipts, ``msg.read`` goes to the other
    members who share them too."""
    conversation = selectors.access_conversation(user=actor, conversation_id=conversation_id)
    last_id = max(0, min(int(last_id), conversation.last_message_id))
    # One UPDATE, committed at once: the guard makes it move forward only, and the write lock is
    # held for as short a time as possible (readers of the conversation are many).
    moved = Membership.objects.filter(
        conversation=conversation, user=actor, last_read_id__lt=last_id
    ).update(last_read_id=last_id, last_read_at=timezone.now(), notified=False)
    if moved and selectors.read_receipts_enabled(actor):
        others = [m.user_id for m in conversation.members if m.user_id != actor.pk]  # type: ignore[attr-defined]
        receivers = selectors.read_receipts_on(others)
        event: events.ReadEvent = {
            "type": "msg.read",
            "conversation": conversation.pk,
            "user": person(actor),
            "last_id": last_id,
        }
        _publish_to_members(event, user_ids=receivers)
    if moved:
        unread: events.UnreadEvent = {"type": "msg.unread", "total": selectors.unread_total(actor)}
        broadcast(events.user_group(actor.pk), unread)
    return selectors.membership(user=actor, conversation=conversation)


def viewing_set(*, actor: User, conversation_id: int | None, previous: int | None) -> None:
    """Remember (for a minute, refreshed by the socket's heartbeat) which conversation the
    actor has open in a visible tab, so they are not notified of what they are watching."""
    if previous is not None and previous != conversation_id:
        cache.delete(selectors.viewing_key(previous, actor.pk))
    if conversation_id is not None:
        selectors.access_conversation(user=actor, conversation_id=conversation_id)
        cache.set(
            selectors.viewing_key(conversation_id, actor.pk), 1, timeout=selectors.VIEWING_SECONDS
        )


# --- preferences, blocks, reports ----------------------------------------------------------


def read_receipts_set(*, actor: User, enabled: bool) -> MessagingSettings:
    item, _ = MessagingSettings.objects.update_or_create(
        user=actor, defaults={"read_receipts": bool(enabled)}
    )
    return item


def block_add(*, actor: User, user_id: int) -> Block:
    """Block a person: they can no longer message the actor nor request a booking from them."""
    if user_id == actor.pk:
        raise Invalid("You cannot block yourself.", code="self_block", field="user_id")
    other = User.objects.filter(pk=user_id, is_active=True).first()
    if other is None:
        raise NotFound("No such person.")
    block, _ = Block.objects.get_or_create(blocker=actor, blocked=other)
    return block


def block_remove(*, actor: User, user_id: int) -> None:
    Block.objects.filter(blocker=actor, blocked_id=user_id).delete()


def message_report(*, actor: User, message_id: int, reason: str) -> MessageReport:
    """A member reports a message (not their own) to the moderators; once per message."""
    message = selectors.access_message(user=actor, message_id=message_id)
    if message.author_id == actor.pk:
        raise Invalid("You cannot report your own message.", code="own_message")
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise Invalid("Say what is wrong with it.", code="required", field="reason")
    ratelimit.check(
        f"messaging:report:{actor.pk}",
        limit=REPORT_LIMIT,
        window_seconds=REPORT_WINDOW,
        message="You sent many reports in a short time. Try again later.",
    )
    try:
        with transaction.atomic():
            return MessageReport.objects.create(message=message, reporter=actor, reason=reason)
    except IntegrityError as exc:
        raise Invalid("You already reported this message.", code="already_reported") from exc


def report_resolve(*, actor: User, report_id: int, resolution: str) -> MessageReport:
    if not actor.is_moderator:
        raise NotFound("No such report.")
    with transaction.atomic():
        report = (
            MessageReport.objects.select_for_update(of=("self",))
            .filter(pk=report_id, resolved_at__isnull=True)
            .first()
        )
        if report is None:
            raise NotFound("No such report.")
        report.resolved_at = timezone.now()
        report.resolved_by = actor
        report.resolution = resolution.strip()[:300]
        report.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        audit_record(
            actor=actor, action="messaging.report_resolve", target=report, reason=report.resolution
        )
    return report
