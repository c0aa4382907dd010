"""Suspending someone closes their open sockets at once, through the whole ASGI stack."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from peerlearn.accounts import lifecycle
from peerlearn.common.realtime import CLOSE_LOGGED_OUT
from peerlearn.common.testing import make_admin

# The room-socket harness: a booked room, its people's sessions, sockets closed after the test.
from peerlearn.live.tests.consumers import conftest as harness
from peerlearn.live.tests.consumers.helpers import Party, Sockets, room_path

fresh_channel_layer = harness.fresh_channel_layer
party = harness.party
sockets = harness.sockets

pytestmark = pytest.mark.django_db(transaction=True)


async def test_suspending_a_learner_closes_their_room_and_bell_sockets(
    party: Party, sockets: Sockets
) -> None:
    room = await sockets.room(party.room, party.learner_key)
    bell = sockets.make("/ws/notifications/", party.learner_key)
    assert (await bell.connect())[0]
    tutor_room = await sockets.room(party.room, party.tutor_key)
    admin = await sync_to_async(make_admin)()
    await sync_to_async(lifecycle.user_suspend)(
        actor=admin, user_id=party.learner.pk, reason="Abusive chat."
    )
    for socket in (room, bell):
        error = await socket.wait_for("error")
        assert error["code"] == "disconnected"
        assert await socket.wait_closed() == CLOSE_LOGGED_OUT
    # Reconnecting with the same browser session is refused; the tutor stays connected.
    assert await sockets.refused(room_path(party.room), party.learner_key) in {4401, 4403}
    assert tutor_room.close_code is None
