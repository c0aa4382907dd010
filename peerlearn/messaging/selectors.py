"""Reads. ``access_*`` fetch with the permission check and raise ``NotFound`` for anything the
user may not see: a stranger gets the same answer as for something that does not exist."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.cache import cache
from django.db.models import F, Prefetch, QuerySet

from peerlearn.accounts.models import User, display_name
from peerlearn.accounts.roles import require_moderator
from peerlearn.common.errors import NotFound

from .models import Attachment, Block, Conversation, Membership, Message, MessageReport

HISTORY_PAGE = 40


def _user_id(user: User | int) -> int:
    return user if isinstance(user, int) else user.pk


def is_blocked(blocker: User | int, blocked: User | int) -> bool:
    """Has ``blocker`` blocked ``blocked``? (One direction; call twice for either.)"""
    return Block.objects.filter(blocker_id=_user_id(blocker), blocked_id=_user_id(blocked)).exists()


def blocked_users(*, user: User) -> QuerySet[Block]:
    return Block.objects.filter(blocker=user).select_related("blocked__profile").order_by("-id")


def read_receipts_enabled(user: User | int) -> bool:
    from .models import MessagingSettings

    value = (
        MessagingSettings.objects.filter(user_id=_user_id(user))
        .values_list("read_receipts", flat=True)
        .first()
    )
    return True if value is None else bool(value)


def read_receipts_on(user_ids: Sequence[int]) -> list[int]:
    """Those of ``user_ids`` who share read receipts (``read_receipts_enabled``, in one query)."""
    from .models import MessagingSettings

    off = set(
        MessagingSettings.objects.filter(user_id__in=user_ids, read_receipts=False).values_list(
            "user_id", flat=True
        )
    )
    return [user_id for user_id in user_ids if user_id not in off]


def conversation_list(*, user: User, with_members: bool = True) -> QuerySet[Conversation]:
    """The user's conversations, most recent activity first, with the user's own unread count
    (``unread``) annotated and their members (``members``) prefetched unless ``with_members`` is
    false (see ``member_names``)."""
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    # Counted per conversation on the (conversation, id) index, not by grouping a join of every
    # membership with every message.
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), id__gt=OuterRef("my_last_read"))
        .exclude(author=user)
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    conversations = (
        Conversation.objects.filter(memberships__user=user)
        .annotate(my_last_read=F("memberships__last_read_id"))
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .order_by(F("last_message_at").desc(nulls_last=True), "-id")
    )
    if not with_members:
        return conversations
    return conversations.prefetch_related(
        Prefetch(
            "memberships",
            Membership.objects.select_related("user__profile").order_by("id"),
            to_attr="members",
        )
    )


def member_names(conversation_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    """The members (id, display name) of each conversation, in joining order, in one query of
    plain rows."""
    members: dict[int, list[tuple[int, str]]] = {pk: [] for pk in conversation_ids}
    rows = (
        Membership.objects.filter(conversation_id__in=conversation_ids)
        .order_by("id")
        .values_list("conversation_id", "user_id", "user__profile__display_name")
    )
    for conversation_id, user_id, name in rows:
        members[conversation_id].append((user_id, display_name(user_id, name)))
    return members


def access_conversation(*, user: User, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.filter(pk=conversation_id, memberships__user_id=user.pk)
        .prefetch_related(
            Prefetch(
                "memberships",
                Membership.objects.select_related("user__profile").order_by("id"),
                to_attr="members",
            )
        )
        .first()
    )
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def membership(*, user: User, conversation: Conversation) -> Membership:
    item = Membership.objects.filter(user=user, conversation=conversation).first()
    if item is None:
        raise NotFound("No such conversation.")
    return item


def direct_conversation(a: User, b: User) -> Conversation | None:
    return Conversation.objects.filter(direct_key=direct_key(a.pk, b.pk)).first()


def direct_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{low}:{high}"


def messages(
    *,
    conversation: Conversation,
    before_id: int | None = None,
    after_id: int = 0,
    limit: int = HISTORY_PAGE,
) -> list[Message]:
    """A page of history in chronological order: the newest ``limit`` messages older than
    ``before_id`` (or everything after ``after_id`` when catching up)."""
    qs = (
        Message.objects.filter(conversation=conversation)
        .select_related("author__profile")
        .prefetch_related("attachments")
    )
    if after_id:
        return list(qs.filter(id__gt=after_id).order_by("id")[:limit])
    if before_id:
        qs = qs.filter(id__lt=before_id)
    return list(reversed(qs.order_by("-id")[:limit]))


def last_messages(conversations: Iterable[Conversation]) -> dict[int, Message]:
    """Each conversation's newest message (by its stored ``last_message_id``), in one query."""
    ids = [c.last_message_id for c in conversations if c.last_message_id]
    return Message.objects.select_related("author").prefetch_related("attachments").in_bulk(ids)


def access_message(*, user: User, message_id: int) -> Message:
    message = (
        Message.objects.select_related("conversation", "author")
        .filter(pk=message_id, conversation__memberships__user_id=user.pk)
        .first()
    )
    if message is None:
        raise NotFound("No such message.")
    return message


def access_attachment(*, user: User, attachment_id: int) -> Attachment:
    item = Attachment.objects.filter(
        pk=attachment_id, conversation__memberships__user_id=user.pk
    ).first()
    if item is None:
        raise NotFound("No such file.")
    return item


def receipts(*, viewer: User, conversation: Conversation) -> dict[int, int]:
    """Per other member: the last message id they read, only if both the viewer and that member
    keep read receipts on. Empty when the viewer turned them off."""
    if not read_receipts_enabled(viewer):
        return {}
    members = Membership.objects.filter(conversation=conversation).exclude(user=viewer)
    off = set(
        Membership.objects.filter(
            conversation=conversation, user__messaging_settings__read_receipts=False
        ).values_list("user_id", flat=True)
    )
    return {m.user_id: m.last_read_id for m in members if m.user_id not in off}


def unread_total(user: User) -> int:
    """Unread messages in all the user's conversations, for the navigation (one query)."""
    return (
        Message.objects.filter(
            conversation__memberships__user=user,
            id__gt=F("conversation__memberships__last_read_id"),
        )
        .exclude(author=user)
        .count()
    )


VIEWING_SECONDS = 60


def viewing_key(conversation_id: int, user_id: int) -> str:
    return f"messaging:viewing:{conversation_id}:{user_id}"


def is_viewing(*, conversation_id: int, user_id: int) -> bool:
    """Does the user have this conversation open in a visible tab right now (their socket says
    so, refreshed by its heartbeat)?"""
    return bool(cache.get(viewing_key(conversation_id, user_id)))


def open_reports(*, actor: User | None = None) -> QuerySet[MessageReport]:
    """Reports not resolved yet, oldest first. Moderators only (``Forbidden``; ``actor`` None:
    the system)."""
    require_moderator(actor)
    return (
        MessageReport.objects.filter(resolved_at__isnull=True)
        .select_related("message__author__profile", "reporter__profile", "message__conversation")
        .prefetch_related("message__attachments")
        .order_by("created_at")
    )
