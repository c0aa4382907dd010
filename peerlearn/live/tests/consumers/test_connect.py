"""The room and notification sockets through the whole ASGI stack (origin check → session auth →
router → consumer), with ``WebsocketCommunicator`` and a real database.

Connecting and disconnecting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from peerlearn.common import realtime
from peerlearn.live import consumers
from peerlearn.live.tests.consumers.helpers import (
    chat_count,
    end_session,
    logged_in,
    room_path,
    session_key,
)
from peerlearn.scheduling.models import Booking, TimeClaim

pytestmark = pytest.mark.django_db(transaction=True)


# --- who may connect ---------------------------------------------------------------------------


class TestConnect:
    async def test_a_participant_is_let_in_and_told_who_they_are(self, party, sockets) -> None:
        socket = await sockets.room(party.room, party.learner_key)
        state = socket.state
        assert state["me"] == {"id": party.learner.pk, "name": "Lee"}
        assert state["chat"] == [] and state["strokes"] == []
        assert state["notes"] == {"version": 0, "text": ""}
        assert state["peer_id"]

    async def test_it_refuses_a_non_participant(self, party, sockets) -> None:
        assert await sockets.refused(room_path(party.room), party.outsider_key) == 4403

    async def test_it_refuses_an_anonymous_user(self, party, sockets) -> None:
        assert await sockets.refused(room_path(party.room), None) == 4403

    async def test_it_refuses_a_room_that_does_not_exist(self, party, sockets) -> None:
        assert await sockets.refused("/ws/rooms/987654/", party.learner_key) == 4403

    @pytest.mark.parametrize(
        "origin", ["http://evil.example", "https://localhost.evil.example", None]
    )
    async def test_it_refuses_a_foreign_or_missing_origin(self, party, sockets, origin) -> None:
        await sockets.refused(room_path(party.room), party.learner_key, origin=origin)
        await sockets.refused("/ws/notifications/", party.learner_key, origin=origin)

    async def test_it_refuses_a_session_that_was_logged_out(self, party, sockets) -> None:
        await sync_to_async(end_session)(party.learner_key)
        assert await sockets.refused(room_path(party.room), party.learner_key) == 4403

    async def test_it_refuses_a_forged_session_cookie(self, party, sockets) -> None:
        assert await sockets.refused(room_path(party.room), "x" * 32) == 4403

    @pytest.mark.parametrize(
        ("starts_in", "minutes"),
        [
            (timedelta(minutes=11), 60),  # opens 10 minutes before the start
            (timedelta(minutes=-95), 60),  # closes 30 minutes after the end
            (timedelta(days=-2), 60),
        ],
    )
    async def test_it_refuses_a_booking_outside_its_join_window(
        self, party, sockets, starts_in, minutes
    ) -> None:
        starts = timezone.now() + starts_in
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(
            starts_at=starts, ends_at=starts + timedelta(minutes=minutes)
        )
        assert await sockets.refused(room_path(party.room), party.learner_key) == 4403

    async def test_the_window_opens_ten_minutes_before_the_start(self, party, sockets) -> None:
        starts = timezone.now() + timedelta(minutes=9)
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(
            starts_at=starts, ends_at=starts + timedelta(minutes=60)
        )
        await sockets.room(party.room, party.learner_key)

    @pytest.mark.parametrize(
        "status", [Booking.Status.CANCELLED, Booking.Status.REQUESTED, Booking.Status.DECLINED]
    )
    async def test_it_refuses_a_booking_that_is_not_confirmed(self, party, sockets, status) -> None:
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(status=status)
        assert await sockets.refused(room_path(party.room), party.tutor_key) == 4403

    async def test_a_learner_whose_claim_was_released_is_refused(self, party, sockets) -> None:
        await sync_to_async(
            TimeClaim.objects.filter(booking=party.booking, user=party.learner).update
        )(active=False)
        assert await sockets.refused(room_path(party.room), party.learner_key) == 4403


# --- losing access while connected -------------------------------------------------------------


class TestDisconnect:
    async def test_logging_out_closes_the_sockets_of_that_session(self, party, sockets) -> None:
        room = await sockets.room(party.room, party.learner_key)
        bell = sockets.make("/ws/notifications/", party.learner_key)
        assert (await bell.connect())[0]
        other_session = await sockets.room(
            party.room, await sync_to_async(session_key)(party.learner)
        )
        await sync_to_async(realtime.disconnect_session)(
            party.learner_key, reason="You logged out."
        )
        for socket in (room, bell):
            error = await socket.wait_for("error")
            assert error["code"] == "disconnected" and error["message"] == "You logged out."
            assert await socket.wait_closed() == consumers.CLOSE_LOGGED_OUT
        assert not [e for e in await other_session.settle() if e["type"] == "error"]
        assert other_session.close_code is None

    async def test_the_logout_view_closes_the_room_socket(self, party, sockets) -> None:
        """The real path: allauth's logout view → AccountAdapter.logout → disconnect_session."""
        client = await sync_to_async(logged_in)(party.learner)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        room = await sockets.room(party.room, key)
        response = await sync_to_async(client.post)(reverse("account_logout"))
        assert response.status_code == 302
        assert (await room.wait_for("error"))["code"] == "disconnected"
        assert await room.wait_closed() == consumers.CLOSE_LOGGED_OUT
        assert await sockets.refused(room_path(party.room), key) == 4403

    async def test_access_is_rechecked_and_a_finished_window_closes_the_socket(
        self, party, sockets, monkeypatch
    ) -> None:
        monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0)
        room = await sockets.room(party.room, party.learner_key)
        await room.send({"type": "ping"})
        await room.wait_for("pong")
        long_ago = timezone.now() - timedelta(hours=3)
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(
            starts_at=long_ago, ends_at=long_ago + timedelta(hours=1)
        )
        await room.send({"type": "chat", "body": "still there?"})
        assert (await room.wait_for("error"))["code"] == "access_ended"
        assert await room.wait_closed() == consumers.CLOSE_FORBIDDEN
        assert await chat_count(party.room) == 0

    async def test_a_session_ended_elsewhere_closes_the_socket_at_the_next_check(
        self, party, sockets, monkeypatch
    ) -> None:
        """Ended from the sessions page or by a password change: no logout call reaches us."""
        monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0)
        room = await sockets.room(party.room, party.learner_key)
        await sync_to_async(end_session)(party.learner_key)
        await room.send({"type": "chat", "body": "anyone?"})
        assert (await room.wait_for("error"))["code"] == "disconnected"
        assert await room.wait_closed() == consumers.CLOSE_LOGGED_OUT
        assert await chat_count(party.room) == 0

    async def test_a_cancelled_booking_closes_the_socket_at_the_next_check(
        self, party, sockets, monkeypatch
    ) -> None:
        monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0)
        room = await sockets.room(party.room, party.tutor_key)
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(
            status=Booking.Status.CANCELLED
        )
        await room.send({"type": "typing"})
        assert (await room.wait_for("error"))["code"] == "access_ended"
        assert await room.wait_closed() == consumers.CLOSE_FORBIDDEN

    async def test_within_the_recheck_interval_the_database_is_not_asked(
        self, party, sockets
    ) -> None:
        room = await sockets.room(party.room, party.tutor_key)
        await sync_to_async(Booking.objects.filter(pk=party.booking.pk).update)(
            status=Booking.Status.CANCELLED
        )
        await room.send({"type": "ping"})
        await room.wait_for("pong")
