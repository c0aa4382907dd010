"""Typed events on the messaging socket and the one place its group names are made."""

from __future__ import annotations

from typing import Literal, TypedDict

from peerlearn.common.realtime import Person


def user_group(user_id: int) -> str:
    """Every messaging socket of one user: new messages and read receipts of their conversations
    (a separate group from live rooms', so room sockets never hear private messages)."""
    return f"messaging.user.{user_id}"


class AttachmentOut(TypedDict):
    id: int
    name: str
    size: int
    content_type: str
    is_image: bool
    url: str
    thumbnail_url: str
    image_url: str


class MessageEvent(TypedDict):
    type: Literal["msg.new"]
    conversation: int
    id: int
    author: Person
    body: str
    created_at: str
    attachments: list[AttachmentOut]


class ReadEvent(TypedDict):
    type: Literal["msg.read"]
    conversation: int
    user: Person
    last_id: int


class UnreadEvent(TypedDict):
    """To the reader's own sockets: their unread total changed (the navigation badge)."""

    type: Literal["msg.unread"]
    total: int
