"""Writes in live rooms. The database is the source of truth: a message is stored, then
broadcast after commit; a client that reconnects asks for everything after the last id it saw.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common.errors import Invalid, NotFound
from peerlearn.common.markdown import render_markdown
from peerlearn.common.realtime import broadcast, person
from peerlearn.common.uploads import DOCUMENT_TYPES, IMAGE_TYPES, check_upload

from . import events, selectors
from .merge import merge3
from .models import (
    ChatMessage,
    NotesRevision,
    Room,
    RoomFile,
    RoomPresence,
    SharedNotes,
    WhiteboardStroke,
)

MAX_CHAT_CHARS = 4000
MAX_STROKE_POINTS = 2000
ROOM_FILE_TYPES = {**DOCUMENT_TYPES, **IMAGE_TYPES, "application/zip": "zip"}


MAX_CLIENT_ID_CHARS = 64


def room_broadcast(room_id: int, event: events.RoomEvent) -> None:
    """``event`` to every socket in the room once the transaction commits."""
    broadcast(events.room_group(room_id), event)


def chat_event(message: ChatMessage, *, prev: int) -> events.ChatEvent:
    event: events.ChatEvent = {
        "type": "chat",
        "id": message.pk,
        "prev": prev,
        "author": person(message.author),
        "html": message.html,
        "created_at": message.created_at.isoformat(),
    }
    if message.file is not None:
        event["file"] = {
            "id": message.file.pk,
            "name": message.file.original_name,
            "size": message.file.size,
            "url": reverse("live:file", args=[message.file.pk]),
        }
    return event


def chat_events(messages: list[ChatMessage], *, after: int | None = None) -> list[events.ChatEvent]:
    """Events for consecutive messages of one room (a page of ``selectors.chat_history``).
    ``after``: the id the page was read after, when it is known to be the room's message just
    before the page (0: the page starts the room's chat); else it is looked up."""
    if not messages:
        return []
    prev = (
        after
        if after is not None
        else selectors.chat_message_before(room_id=messages[0].room_id, message_id=messages[0].pk)
    )
    out = []
    for message in messages:
        out.append(chat_event(message, prev=prev))
        prev = message.pk
    return out


def chat_post(
    *,
    actor: User,
    room: Room,
    body: str,
    file: RoomFile | None = None,
    client_id: str = "",
) -> ChatMessage:
    """Store a chat message (markdown, sanitized once here) and broadcast it after commit.

    ``client_id`` (the sending browser's id for the message) makes it idempotent: a resend
    with the same id returns the message stored the first time, stored and broadcast once.
    Messages of a room are stored one at a time (a lock on the room's row), so their ids grow
    in commit order and each event names the message before it (``ChatEvent.prev``)."""
    body = body.strip()
    if not body and file is None:
        raise Invalid("Type a message.", code="empty", field="body")
    if len(body) > MAX_CHAT_CHARS:
        raise Invalid(
            f"Messages are at most {MAX_CHAT_CHARS} characters.", code="too_long", field="body"
        )
    if len(client_id) > MAX_CLIENT_ID_CHARS:
        raise Invalid("That message id is too long.", code="invalid", field="client_id")
    message = ChatMessage(
        room=room,
        author=actor,
        body=body,
        html=render_markdown(body),
        file=file,
        client_id=client_id,
        created_at=timezone.now(),
    )
    store = _chat_store_postgresql if connection.vendor == "postgresql" else _chat_store_locked
    stored, prev = store(message)
    if prev is not None:
        room_broadcast(room.pk, chat_event(stored, prev=prev))
    return stored


def _chat_store_locked(message: ChatMessage) -> tuple[ChatMessage, int | None]:
    """Any database: (the stored message, the id before it), or (the message stored earlier
    with this client id, None). The room's row is locked while its tail is read and moved."""
    with transaction.atomic():
        last = (
            Room.objects.select_for_update(no_key=True)
            .filter(pk=message.room_id)
            .values_list("chat_last_id", flat=True)
            .get()
        )
        if message.client_id:
            same = _chat_same_client_id(message)
            if same is not None:
                return same, None
        message.save(force_insert=True)
        Room.objects.filter(pk=message.room_id).update(chat_prev_id=last, chat_last_id=message.pk)
    return message, last


# One statement, one round trip, in autocommit: unless the author already stored this client
# id, lock the room's row and move its tail to a new id taken from the messages' sequence under
# that lock (so ids of a room grow in commit order), insert the message with that id, and return
# it with the id before it. If the client id was stored by a transaction that committed after
# this statement's snapshot, the unique constraint fails the whole statement (the room's tail
# does not move) and the caller reads the stored message.
_CHAT_INSERT = """
WITH same AS (
    SELECT id FROM {message} WHERE %(client_id)s <> '' AND room_id = %(room)s
        AND author_id = %(author)s AND client_id = %(client_id)s
), tail AS (
    UPDATE {room} SET chat_prev_id = chat_last_id,
        chat_last_id = nextval(pg_get_serial_sequence(%(message_table)s, 'id'))
    WHERE id = %(room)s AND NOT EXISTS (SELECT 1 FROM same)
    RETURNING chat_prev_id, chat_last_id
), new AS (
    INSERT INTO {message} (id, room_id, author_id, body, html, file_id, created_at, client_id)
    SELECT chat_last_id, %(room)s, %(author)s, %(body)s, %(html)s, %(file)s, %(created_at)s,
        %(client_id)s FROM tail
    RETURNING id
)
SELECT new.id, tail.chat_prev_id FROM new CROSS JOIN tail
UNION ALL SELECT id, NULL FROM same
"""


def _chat_store_postgresql(message: ChatMessage) -> tuple[ChatMessage, int | None]:
    """PostgreSQL: what ``_chat_store_locked`` does, in one statement (``_CHAT_INSERT``)."""
    sql = _CHAT_INSERT.format(
        message=connection.ops.quote_name(ChatMessage._meta.db_table),
        room=connection.ops.quote_name(Room._meta.db_table),
    )
    params: dict[str, str | int | datetime | None] = {
        "message_table": ChatMessage._meta.db_table,
        "room": message.room_id,
        "author": message.author_id,
        "body": message.body,
        "html": message.html,
        "file": message.file_id,
        "created_at": message.created_at,
        "client_id": message.client_id,
    }
    try:
        # A savepoint only inside a caller's transaction (``file_share``): alone, the
        # statement is its own transaction (no BEGIN and COMMIT round trips).
        with (
            transaction.atomic() if connection.in_atomic_block else nullcontext(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
            row = cursor.fetchone()
    except IntegrityError:
        same = _chat_same_client_id(message) if message.client_id else None
        if same is None:
            raise
        return same, None
    if row is None:
        raise NotFound("No such room.")
    message_id, prev = row
    if prev is None:
        stored = ChatMessage.objects.select_related("file").get(pk=message_id)
        return stored, None
    message.pk = message_id
    return message, int(prev)


def _chat_same_client_id(message: ChatMessage) -> ChatMessage | None:
    return (
        ChatMessage.objects.select_related("file")
        .filter(room_id=message.room_id, author_id=message.author_id, client_id=message.client_id)
        .first()
    )


def file_share(*, actor: User, room_id: int, upload: UploadedFile) -> ChatMessage:
    """Upload a file over HTTP (validated by content) and announce it in the chat."""
    room = selectors.access_room(user=actor, room_id=room_id, live=True)
    checked = check_upload(upload, allowed=ROOM_FILE_TYPES, field="file")
    with transaction.atomic():
        item = RoomFile(
            room=room,
            uploader=actor,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=len(checked.content),
        )
        item.file.save(checked.storage_name(), ContentFile(checked.content), save=False)
        item.save()
        return chat_post(
            actor=actor, room=room, body=f"shared a file: {item.original_name}", file=item
        )


def _clean_stroke(data: Any) -> dict[str, object]:
    if not isinstance(data, dict):
        raise Invalid("A stroke is an object.", code="invalid_stroke")
    points = data.get("points")
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_STROKE_POINTS:
        raise Invalid("A stroke has 1 to 2000 points.", code="invalid_stroke")
    clean_points = []
    for point in points:
        if not (
            isinstance(point, list)
            and len(point) == 2
            and all(isinstance(v, int | float) and math.isfinite(v) for v in point)
        ):
            raise Invalid("Points are [x, y] pairs.", code="invalid_stroke")
        clean_points.append(
            [
                round(min(max(float(point[0]), 0.0), 1.0), 4),
                round(min(max(float(point[1]), 0.0), 1.0), 4),
            ]
        )
    color = str(data.get("color", "#222222"))
    if not (
        len(color) == 7
        and color.startswith("#")
        and all(c in "0123456789abcdefABCDEF" for c in color[1:])
    ):
        color = "#222222"
    width = data.get("width", 3)
    if not isinstance(width, int | float):
        width = 3.0
    if not math.isfinite(width):
        raise Invalid("A stroke's width is a finite number.", code="invalid_stroke")
    width = min(max(float(width), 1.0), 40.0)
    erase = bool(data.get("erase", False))
    return {"points": clean_points, "color": color, "width": width, "erase": erase}


def stroke_add(*, actor: User, room: Room, data: Any) -> WhiteboardStroke:
    with transaction.atomic():
        stroke = WhiteboardStroke.objects.create(room=room, author=actor, data=_clean_stroke(data))
        room_broadcast(
            room.pk,
            {"type": "wb.stroke", "id": stroke.pk, "author": actor.pk, "data": stroke.data},
        )
    return stroke


def whiteboard_clear(*, actor: User, room: Room) -> int:
    with transaction.atomic():
        deleted, _ = WhiteboardStroke.objects.filter(room=room).delete()
        room_broadcast(room.pk, {"type": "wb.clear", "by": person(actor)})
    return deleted


def notes_update(
    *, actor: User, room: Room, base_version: int, text: str
) -> events.NotesEvent | events.NotesConflictEvent:
    """Apply an edit made on ``base_version``. If others saved since, merge line-wise; if the
    edits collide, keep the server text and answer with a conflict holding both versions."""
    if len(text) > 100_000:
        raise Invalid("The notes are too long.", code="too_long", field="text")
    with transaction.atomic():
        notes = SharedNotes.objects.select_for_update().get(pk=selectors.notes(room=room).pk)
        merged = False
        if base_version != notes.version:
            base = (
                NotesRevision.objects.filter(notes=notes, version=base_version)
                .values_list("text", flat=True)
                .first()
            )
            result = (
                merge3(base if base is not None else "", text, notes.text)
                if base_version < notes.version
                else None
            )
            if result is None:
                return {
                    "type": "notes.conflict",
                    "version": notes.version,
                    "text": notes.text,
                    "yours": text,
                }
            text, merged = result, True
        if text == notes.text:
            return {
                "type": "notes",
                "version": notes.version,
                "text": notes.text,
                "by": person(actor),
            }
        notes.text, notes.version, notes.updated_by = text, notes.version + 1, actor
        notes.save(update_fields=["text", "version", "updated_by", "updated_at"])
        NotesRevision.objects.create(notes=notes, version=notes.version, text=text, author=actor)
        event: events.NotesEvent = {
            "type": "notes",
            "version": notes.version,
            "text": text,
            "by": person(actor),
            "merged": merged,
        }
        room_broadcast(room.pk, event)
    return event


def presence_enter(*, room: Room, channel: str, user: User) -> None:
    """A socket joined the room (``selectors.present_peers`` lists it to newcomers). Rows a
    dead process left behind in this room are deleted on the way. A channel name is new with
    every socket, so its row is inserted."""
    now = timezone.now()
    RoomPresence.objects.filter(room=room, seen_at__lt=now - selectors.PRESENCE_TTL).delete()
    RoomPresence.objects.create(channel=channel, room=room, user=user, seen_at=now)


def presence_refresh(*, channel: str) -> None:
    RoomPresence.objects.filter(channel=channel).update(seen_at=timezone.now())


def presence_leave(*, channel: str) -> None:
    RoomPresence.objects.filter(channel=channel).delete()
