"""The room and notification sockets through the whole ASGI stack (origin check → session auth →
router → consumer), with ``WebsocketCommunicator`` and a real database.

Limits on what a socket may send."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from peerlearn.common import realtime
from peerlearn.live import services
from peerlearn.live.models import WhiteboardStroke
from peerlearn.live.tests.consumers.helpers import chat_count

pytestmark = pytest.mark.django_db(transaction=True)


# --- limits ------------------------------------------------------------------------------------


class TestLimits:
    async def test_an_oversized_frame_is_refused_and_nothing_is_stored(
        self, party, sockets
    ) -> None:
        room = await sockets.room(party.room, party.learner_key)
        await room.send({"type": "chat", "body": "x" * (realtime.MAX_FRAME_BYTES + 1)})
        assert (await room.wait_for("error"))["code"] == "too_large"
        await room.send({"type": "wb.stroke", "data": {"points": [[0.5, 0.5]] * 9000}})
        assert (await room.wait_for("error"))["code"] == "too_large"
        assert await chat_count(party.room) == 0
        assert not await sync_to_async(WhiteboardStroke.objects.exists)()
        await room.send({"type": "chat", "body": "still connected"})
        assert (await room.wait_for("chat"))["html"] == "<p>still connected</p>\n"

    async def test_a_binary_frame_is_refused(self, party, sockets) -> None:
        room = await sockets.room(party.room, party.learner_key)
        await room.comm.send_to(bytes_data=b"\x00" * 10)
        assert (await room.wait_for("error"))["code"] == "too_large"

    async def test_a_chat_message_over_the_character_limit_is_refused(self, party, sockets) -> None:
        room = await sockets.room(party.room, party.learner_key)
        await room.send({"type": "chat", "body": "y" * (services.MAX_CHAT_CHARS + 1)})
        assert (await room.wait_for("error"))["code"] == "too_long"
        assert await chat_count(party.room) == 0

    @pytest.mark.parametrize(
        ("frame", "code"),
        [
            ("not json", "invalid"),
            ("[1, 2]", "invalid"),
            ('{"no": "type"}', "invalid"),
            ('{"type": "launch"}', "unknown_type"),
            ('{"type": "notes", "base_version": "x", "text": "a"}', "invalid"),
            ('{"type": "wb.stroke", "data": {"points": "nope"}}', "invalid_stroke"),
        ],
    )
    async def test_malformed_messages_get_an_error_event(self, party, sockets, frame, code) -> None:
        room = await sockets.room(party.room, party.learner_key)
        await room.comm.send_to(text_data=frame)
        assert (await room.wait_for("error"))["code"] == code
        await room.send({"type": "ping"})
        await room.wait_for("pong")

    async def test_flooding_chat_is_rate_limited_and_refused_messages_are_not_stored(
        self, party, sockets
    ) -> None:
        room = await sockets.room(party.room, party.learner_key)
        sent = 40
        for n in range(sent):
            await room.send({"type": "chat", "body": f"spam {n}"})
        stored_events, refused = 0, 0
        while stored_events + refused < sent:
            event = await room.next_frame()
            if event["type"] == "chat":
                stored_events += 1
            elif event["type"] == "error":
                assert event["code"] == "rate_limited"
                refused += 1
        assert refused >= sent - 10  # a burst of 5, then 1 per second
        assert await chat_count(party.room) == stored_events

    async def test_flooding_any_message_type_is_rate_limited(self, party, sockets) -> None:
        room = await sockets.room(party.room, party.learner_key)
        sent = 300  # the bucket holds 60 and refills 20 per second
        for _ in range(sent):
            await room.send({"type": "ping"})
        answers = [(await room.next_frame())["type"] for _ in range(sent)]
        assert answers.count("pong") + answers.count("error") == sent
        assert "error" in answers
        assert room.seen[-1] == {
            "type": "error",
            "code": "rate_limited",
            "message": "Too many messages: slow down.",
        }
        assert room.close_code is None

    async def test_flooded_whiteboard_strokes_are_not_stored(self, party, sockets) -> None:
        room = await sockets.room(party.room, party.learner_key)
        sent = 150
        for _ in range(sent):
            await room.send({"type": "wb.stroke", "data": {"points": [[0.1, 0.2]]}})
        kinds = [(await room.next_frame())["type"] for _ in range(sent)]
        refused = kinds.count("error")
        assert refused > 0
        assert await sync_to_async(WhiteboardStroke.objects.count)() == sent - refused
