"""Reads for live rooms. ``access_room`` is the one authorization rule for every room read,
write and socket message: the booking's participants, while the join window is open (or at any
time, for reading what the room left behind)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common.errors import Forbidden, NotFound
from peerlearn.scheduling.models import Booking, TimeClaim

from .models import ChatMessage, Room, RoomFile, RoomPresence, SharedNotes, WhiteboardStroke


def participant_ids(booking: Booking) -> set[int]:
    learners = TimeClaim.objects.filter(booking=booking, role=TimeClaim.Role.LEARNER, active=True)
    return {booking.tutor_id, *learners.values_list("user_id", flat=True)}


@dataclass(frozen=True)
class JoinWindow:
    opens_at: datetime
    closes_at: datetime

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now <= self.closes_at


def join_window(booking: Booking) -> JoinWindow:
    return JoinWindow(
        booking.starts_at - timedelta(minutes=settings.LIVE_JOIN_EARLY_MINUTES),
        booking.ends_at + timedelta(minutes=settings.LIVE_JOIN_LATE_MINUTES),
    )


@dataclass(frozen=True)
class RoomLink:
    opens_at: datetime
    is_open: bool
    record_url: str | None


def room_link(booking: Booking) -> RoomLink | None:
    """What a session's page says about its room: "Join" while it is open, a link to what the
    room left behind (chat, notes, whiteboard, files) once it exists (``live_tags.room_link``
    on scheduling's page)."""
    if booking.status not in (
        Booking.Status.CONFIRMED,
        Booking.Status.COMPLETED,
        Booking.Status.NO_SHOW,
    ):
        return None
    window = join_window(booking)
    room = Room.objects.filter(booking=booking).only("pk").first()
    return RoomLink(
        opens_at=window.opens_at,
        is_open=booking.status == Booking.Status.CONFIRMED and window.is_open(),
        record_url=reverse("live:room", args=[room.pk]) if room else None,
    )


def access_room(*, user: User, room_id: int, live: bool = False) -> Room:
    """The room if ``user`` takes part in its booking (its tutor or an active learner) or
    practice session (one of its two seats); with ``live=True`` also require it to be running
    now (a confirmed booking inside its join window, or a practice session that has not ended).
    NotFound for everyone else. One query."""
    if not user.is_authenticated:
        raise NotFound("No such room.")
    learner = TimeClaim.objects.filter(
        booking_id=OuterRef("booking_id"), user_id=user.pk, role=TimeClaim.Role.LEARNER, active=True
    )
    room = (
        Room.objects.select_related(
            "booking__tutor", "booking__subject", "practice_session__problem"
        )
        .annotate(is_learner=Exists(learner))
        .filter(pk=room_id)
        .first()
    )
    if room is None or not _takes_part(room, user.pk):
        raise NotFound("No such room.")
    if live:
        if room.practice_session is not None:
            if not room.practice_session.is_live:
                raise Forbidden("This practice session has ended.")
            return room
        booking = room.booking
        assert booking is not None
        if booking.status != Booking.Status.CONFIRMED:
            raise Forbidden("This session is not confirmed.")
        if not join_window(booking).is_open():
            raise Forbidden(
                "The room is open from shortly before the start until shortly after the end."
            )
    return room


def _takes_part(room: Room, user_id: int) -> bool:
    if room.booking is not None:
        return user_id == room.booking.tutor_id or bool(room.is_learner)  # type: ignore[attr-defined]
    if room.practice_session is not None:
        return user_id in room.practice_session.participant_ids
    return False


def session_is_current(*, session_key: str | None, user_id: int) -> bool:
    """Is this browser session still signed in as this user? False once it was logged out,
    ended from the sessions page, or invalidated by a password change."""
    if not session_key:
        return False
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return get_user(request).pk == user_id


def room_for_booking(*, booking: Booking) -> Room:
    room, _ = Room.objects.get_or_create(booking=booking)
    return room


CHAT_PAGE = 200  # messages per ``chat.page`` frame (and in the join's ``state``)
PRESENCE_TTL = timedelta(seconds=75)  # a socket's heartbeat refreshes its row every 30 s


def chat_history(*, room: Room, after_id: int = 0, limit: int = 500) -> list[ChatMessage]:
    """The room's messages after ``after_id``, oldest first, at most ``limit``: the next page.
    Ids of one room grow in commit order (``services.chat_post``), so a page is never missing
    a message that commits later with a smaller id."""
    return list(
        ChatMessage.objects.filter(room=room, id__gt=after_id)
        .select_related("author__profile", "file")
        .order_by("id")[:limit]
    )


def chat_message_before(*, room_id: int, message_id: int | None) -> int:
    """The id of the room's last message before ``message_id`` (None: the last one); 0: none."""
    messages = ChatMessage.objects.filter(room_id=room_id)
    if message_id is not None:
        messages = messages.filter(id__lt=message_id)
    return messages.order_by("-id").values_list("id", flat=True).first() or 0


def present_peers(*, room_id: int) -> list[tuple[str, User]]:
    """The sockets in the room now (their channel names and users), oldest first."""
    rows = (
        RoomPresence.objects.filter(room_id=room_id, seen_at__gte=timezone.now() - PRESENCE_TTL)
        .select_related("user__profile")
        .order_by("id")
    )
    return [(row.channel, row.user) for row in rows]


def is_present(*, room_id: int, channel: str) -> bool:
    return RoomPresence.objects.filter(
        room_id=room_id, channel=channel, seen_at__gte=timezone.now() - PRESENCE_TTL
    ).exists()


def strokes(*, room: Room) -> QuerySet[WhiteboardStroke]:
    return WhiteboardStroke.objects.filter(room=room).order_by("id")


def strokes_since(*, room: Room, after_id: int) -> tuple[list[WhiteboardStroke], bool]:
    """What a client holding the strokes up to ``after_id`` lacks: (strokes, full). Only a
    clear deletes strokes; if ``after_id`` is gone the board was cleared, so all are sent."""
    if after_id > 0 and WhiteboardStroke.objects.filter(room=room, pk=after_id).exists():
        return list(strokes(room=room).filter(id__gt=after_id)), False
    return list(strokes(room=room)), True


def notes(*, room: Room) -> SharedNotes:
    obj, _ = SharedNotes.objects.get_or_create(room=room)
    return obj


def files(*, room: Room) -> QuerySet[RoomFile]:
    return RoomFile.objects.filter(room=room).select_related("uploader__profile").order_by("id")


def access_room_file(*, user: User, file_id: int) -> RoomFile:
    item = RoomFile.objects.select_related("room").filter(pk=file_id).first()
    if item is None:
        raise NotFound("No such file.")
    access_room(user=user, room_id=item.room_id)
    return item
