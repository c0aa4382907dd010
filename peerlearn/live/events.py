"""The room socket's wire format (/ws/rooms/<id>/): every event the server sends, typed, and the
channel-layer messages between room sockets. These types are the truth: services and the
consumer build events through them and mypy checks every send site."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from peerlearn.common.realtime import ErrorEvent, Person, PongEvent, ResyncEvent, group_name

__all__ = ["ErrorEvent", "Person", "PongEvent", "ResyncEvent"]


def room_group(room_id: int) -> str:
    return group_name("room", room_id)


# --- chat ------------------------------------------------------------------------------------


class FileOut(TypedDict):
    id: int
    name: str
    size: int
    url: str


class ChatEvent(TypedDict):
    """A stored message. ``prev`` is the id of the room's message before it (0 for the first):
    messages of a room are stored one at a time (a row lock), so a client that has ``prev``
    has everything before, and resumes from the end of its unbroken chain."""

    type: Literal["chat"]
    id: int
    prev: int
    author: Person
    html: str
    created_at: str
    file: NotRequired[FileOut]


class ChatPageEvent(TypedDict):
    """Stored messages after the client's cursor, oldest first; ``more``: another page follows."""

    type: Literal["chat.page"]
    chat: list[ChatEvent]
    more: bool


class AckEvent(TypedDict):
    """To the sender only: the chat frame with ``client_id`` is stored as message ``id``."""

    type: Literal["ack"]
    client_id: str
    id: int


class TypingEvent(TypedDict):
    type: Literal["typing"]
    user: Person


# --- presence and the call -------------------------------------------------------------------


class PeerOut(TypedDict):
    peer: str
    user: Person


class PeerJoinedEvent(TypedDict):
    type: Literal["peer.joined"]
    peer: str
    user: Person
    existing: NotRequired[bool]


class PeerLeftEvent(TypedDict):
    type: Literal["peer.left"]
    peer: str


SignalEvent = TypedDict(
    "SignalEvent",
    {"type": Literal["signal"], "from": str, "from_user": int, "data": dict[str, object]},
)


class ScreenEvent(TypedDict):
    type: Literal["screen"]
    user: Person
    sharing: bool


# --- whiteboard and notes --------------------------------------------------------------------


class StrokeOut(TypedDict):
    id: int
    author: int
    data: dict[str, object]


class StrokeEvent(StrokeOut):
    type: Literal["wb.stroke"]


class ClearEvent(TypedDict):
    type: Literal["wb.clear"]
    by: Person


class NotesOut(TypedDict):
    version: int
    text: str


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


# --- the join (and resync) -------------------------------------------------------------------


class StateEvent(TypedDict):
    """Sent once the socket has joined the room group (so nothing broadcast after the read can
    be missed; what arrives twice is de-duplicated by id). ``chat``: the first page after the
    client's ``last_id`` (``chat.page`` frames follow while ``chat_more``); ``strokes``: all
    (``strokes_full``) or only those after the client's ``strokes_after``; ``notes``: null when
    the client's ``notes_version`` is current; ``peers``: the sockets present now.
    ``resync``: an answer to the client's resync, not a new connection."""

    type: Literal["state"]
    me: Person
    peer_id: str
    chat: list[ChatEvent]
    chat_more: bool
    strokes: list[StrokeOut]
    strokes_full: bool
    notes: NotesOut | None
    peers: list[PeerOut]
    resync: bool


# Everything a room socket forwards from the room group (``live.services.room_broadcast``).
RoomEvent = (
    ChatEvent
    | TypingEvent
    | ScreenEvent
    | StrokeEvent
    | ClearEvent
    | NotesEvent
    | PeerJoinedEvent
    | PeerLeftEvent
)


# --- channel-layer messages between room sockets --------------------------------------------


class SignalRelayMessage(TypedDict):
    type: Literal["signal.relay"]
    room: int
    from_channel: str
    from_user: int
    data: dict[str, object]
