"""Messaging endpoints of the JSON API: conversations, messages (with a multipart attachment),
read markers, blocks and reports. Adapters only; everything is member-only and a stranger gets
the same 404 as for something that does not exist."""

# No ``from __future__ import annotations``: ninja reads annotations at import time.
from datetime import datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from peerlearn.api.auth import request_user
from peerlearn.api.errors import ERROR_RESPONSES
from peerlearn.api.helpers import ok
from peerlearn.api.pages import fast_page, json_time

from . import selectors, services
from .models import MAX_GROUP_MEMBERS, Conversation
from .views import private_file_response

router = Router(tags=["messaging"])


class MemberOut(Schema):
    id: int
    name: str


class ConversationOut(Schema):
    id: int
    title: str
    is_group: bool
    members: list[MemberOut]
    booking_id: int | None
    last_message_at: datetime | None
    last_message_id: int
    unread: int = 0

    @staticmethod
    def resolve_members(obj: Conversation) -> list[dict[str, Any]]:
        return [
            {"id": m.user_id, "name": m.user.display_name}
            for m in obj.members  # type: ignore[attr-defined]
        ]

    @staticmethod
    def resolve_unread(obj: Conversation) -> int:
        return int(getattr(obj, "unread", 0) or 0)


class ConversationIn(Schema):
    with_ids: list[int] = Field(
        ..., min_length=1, max_length=MAX_GROUP_MEMBERS - 1, description="The other people"
    )
    title: str = Field("", max_length=services.MAX_TITLE_CHARS, description="Groups only")
    booking_id: int | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    is_image: bool
    url: str
    thumbnail_url: str
    image_url: str


class MessageOut(Schema):
    id: int
    conversation: int
    author: MemberOut
    body: str
    created_at: datetime
    attachments: list[AttachmentOut]


class ReadIn(Schema):
    last_id: int = Field(..., ge=0)


class ReadOut(Schema):
    last_read_id: int


class ReceiptOut(Schema):
    user_id: int
    last_read_id: int


class BlockIn(Schema):
    user_id: int


class MessageReportIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


class MessageReportOut(Schema):
    id: int
    message_id: int
    created_at: datetime


def conversation_item(
    conversation: Conversation, members: dict[int, list[tuple[int, str]]]
) -> dict[str, Any]:
    """One ``ConversationOut``, from a conversation of ``selectors.conversation_list`` and the
    page's ``selectors.member_names``."""
    return {
        "id": conversation.pk,
        "title": conversation.title,
        "is_group": conversation.is_group,
        "members": [{"id": pk, "name": name} for pk, name in members[conversation.pk]],
        "booking_id": conversation.booking_id,
        "last_message_at": json_time(conversation.last_message_at),
        "last_message_id": conversation.last_message_id,
        "unread": ConversationOut.resolve_unread(conversation),
    }


def _page_members(rows: list[Conversation], request: HttpRequest) -> dict[int, Any]:
    return selectors.member_names([c.pk for c in rows])


@router.get(
    "/messaging/conversations",
    response=ok(list[ConversationOut]),
    summary="My conversations, most recent activity first",
)
@fast_page(conversation_item, prepare=_page_members)
def conversations_list(request: HttpRequest) -> Any:
    return selectors.conversation_list(user=request_user(request), with_members=False)


@router.post(
    "/messaging/conversations",
    response=ok(ConversationOut, 201),
    summary="Start a conversation (an existing direct one is returned)",
)
def conversation_create(request: HttpRequest, body: ConversationIn) -> Status[Conversation]:
    user = request_user(request)
    conversation = services.conversation_start(
        actor=user, with_ids=body.with_ids, title=body.title, booking_id=body.booking_id
    )
    return Status(201, selectors.access_conversation(user=user, conversation_id=conversation.pk))


@router.get(
    "/messaging/conversations/{int:conversation_id}",
    response=ok(ConversationOut),
    summary="One conversation",
)
def conversation_get(request: HttpRequest, conversation_id: int) -> Conversation:
    return selectors.access_conversation(
        user=request_user(request), conversation_id=conversation_id
    )


@router.get(
    "/messaging/conversations/{int:conversation_id}/messages",
    response=ok(list[MessageOut]),
    summary="History, oldest first: the newest page, or older than `before`, or after `after`",
)
def messages_list(
    request: HttpRequest, conversation_id: int, before: int | None = None, after: int = 0
) -> list[Any]:
    conversation = selectors.access_conversation(
        user=request_user(request), conversation_id=conversation_id
    )
    return [
        services.message_event(m)
        for m in selectors.messages(conversation=conversation, before_id=before, after_id=after)
    ]


@router.post(
    "/messaging/conversations/{int:conversation_id}/messages",
    response=ok(MessageOut, 201),
    summary="Send a message (multipart: `body` and an optional `file`)",
)
def message_send(
    request: HttpRequest,
    conversation_id: int,
    body: Form[str] = "",
    file: File[UploadedFile | None] = None,
) -> Status[Any]:
    message = services.message_send(
        actor=request_user(request), conversation_id=conversation_id, body=body, upload=file
    )
    return Status(201, services.message_event(message))


@router.post(
    "/messaging/conversations/{int:conversation_id}/read",
    response=ok(ReadOut),
    summary="Mark read up to a message",
)
def conversation_read(request: HttpRequest, conversation_id: int, body: ReadIn) -> Any:
    membership = services.conversation_mark_read(
        actor=request_user(request), conversation_id=conversation_id, last_id=body.last_id
    )
    return {"last_read_id": membership.last_read_id}


@router.get(
    "/messaging/conversations/{int:conversation_id}/receipts",
    response=ok(list[ReceiptOut]),
    summary="How far the others read (empty unless both sides share read receipts)",
)
def conversation_receipts(request: HttpRequest, conversation_id: int) -> list[dict[str, int]]:
    user = request_user(request)
    conversation = selectors.access_conversation(user=user, conversation_id=conversation_id)
    return [
        {"user_id": uid, "last_read_id": last}
        for uid, last in selectors.receipts(viewer=user, conversation=conversation).items()
    ]


@router.get(
    "/messaging/attachments/{int:attachment_id}",
    response={200: None, **ERROR_RESPONSES},
    summary="Download an attachment (members only; always as a download)",
)
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    item = selectors.access_attachment(user=request_user(request), attachment_id=attachment_id)
    return private_file_response(
        item.file, filename=item.original_name, content_type=item.content_type, inline=False
    )


@router.post("/messaging/blocks", response=ok(None, 204), summary="Block a person")
def block_create(request: HttpRequest, body: BlockIn) -> Status[None]:
    services.block_add(actor=request_user(request), user_id=body.user_id)
    return Status(204, None)


@router.delete(
    "/messaging/blocks/{int:user_id}", response=ok(None, 204), summary="Unblock a person"
)
def block_delete(request: HttpRequest, user_id: int) -> Status[None]:
    services.block_remove(actor=request_user(request), user_id=user_id)
    return Status(204, None)


@router.post(
    "/messaging/messages/{int:message_id}/report",
    response=ok(MessageReportOut, 201),
    summary="Report a message to the moderators",
)
def message_report(request: HttpRequest, message_id: int, body: MessageReportIn) -> Status[Any]:
    report = services.message_report(
        actor=request_user(request), message_id=message_id, reason=body.reason
    )
    return Status(201, report)
