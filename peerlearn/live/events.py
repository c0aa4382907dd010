"""Typed events on the room and notification sockets, and the one place group names are made."""

from __future__ import annotations

import hashlib
from typing import Literal, NotRequired, TypedDict


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def session_group(session_key: str) -> str:
    """The sockets opened with one browser session (hashed: the key is a credential)."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:32]


def user_group(user_id: int) -> str:
    """Every socket of one user (rooms and notifications): used to push notifications and to
    disconnect a user who logged out or lost access."""
    return f"user.{user_id}"


class Person(TypedDict):
    id: int
    name: str


class ChatEvent(TypedDict):
    type: Literal["chat"]
    id: int
    author: Person
    html: str
    created_at: str
    file: NotRequired[dict[str, object] | None]


class PresenceEvent(TypedDict):
    type: Literal["presence"]
    members: list[Person]


class TypingEvent(TypedDict):
    type: Literal["typing"]
    user: Person


class SignalEvent(TypedDict):
    type: Literal["signal"]
    from_user: int
    from_channel: str
    data: dict[str, object]


class ScreenEvent(TypedDict):
    type: Literal["screen"]
    user: Person
    sharing: bool


class StrokeEvent(TypedDict):
    type: Literal["wb.stroke"]
    id: int
    author: int
    data: dict[str, object]


class ClearEvent(TypedDict):
    type: Literal["wb.clear"]
    by: Person


class NotesEvent(TypedDict):
    type: Literal["notes"]
    version: int
    text: str
    by: Person | None
    merged: NotRequired[bool]


class NotesConflictEvent(TypedDict):
    type: Literal["notes.conflict"]
    version: int
    text: str
    yours: str


class ErrorEvent(TypedDict):
    type: Literal["error"]
    code: str
    message: str


class NotificationEvent(TypedDict):
    type: Literal["notification"]
    unread_count: int
    id: int
    kind: str
    title: str
    url: str
