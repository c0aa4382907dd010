"""The room and notification sockets through the whole ASGI stack (origin check → session auth →
router → consumer), with ``WebsocketCommunicator`` and a real database.

Presence and call signaling, the whiteboard, shared notes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from peerlearn.common.testing import make_booking, make_tutor, make_user
from peerlearn.live import selectors, services
from peerlearn.live.models import SharedNotes, WhiteboardStroke
from peerlearn.live.tests.consumers.helpers import revision_rows, session_key

pytestmark = pytest.mark.django_db(transaction=True)


# --- presence, typing, screen, signaling -------------------------------------------------------


class TestPresenceAndSignaling:
    async def test_peers_learn_about_each_other(self, party, sockets) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        joined = await tutor.wait_for("peer.joined")
        assert joined["peer"] == learner.state["peer_id"]
        assert joined["user"] == {"id": party.learner.pk, "name": "Lee"}
        # The newcomer reads who is here from its state (no O(n) introductions over the layer).
        assert learner.state["peers"] == [
            {"peer": tutor.state["peer_id"], "user": {"id": party.tutor.pk, "name": "Tara"}}
        ]
        await learner.close()
        assert (await tutor.wait_for("peer.left"))["peer"] == learner.state["peer_id"]

    async def test_typing_reaches_the_others_only(self, party, sockets) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await tutor.wait_for("peer.joined")
        await learner.send({"type": "typing"})
        assert (await tutor.wait_for("typing"))["user"] == {"id": party.learner.pk, "name": "Lee"}
        assert not [e for e in await learner.settle() if e["type"] == "typing"]

    async def test_screen_sharing_state_reaches_everyone(self, party, sockets) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await learner.send({"type": "screen", "sharing": True})
        for socket in (tutor, learner):
            event = await socket.wait_for("screen")
            assert event["sharing"] is True and event["user"]["id"] == party.learner.pk

    async def test_an_offer_is_relayed_to_that_peer_only(self, party, sockets) -> None:
        second = await sync_to_async(make_user)(display_name="Sam")
        # Ended ten minutes ago (its room is open for 30 minutes more): it must not overlap the
        # party's booking, which PostgreSQL's exclusion constraint on time claims forbids.
        group = await sync_to_async(make_booking)(
            party.tutor, [party.learner, second], starts_in=timedelta(minutes=-70)
        )
        room = await sync_to_async(selectors.room_for_booking)(booking=group)
        tutor = await sockets.room(room, party.tutor_key)
        learner = await sockets.room(room, party.learner_key)
        sam = await sockets.room(room, await sync_to_async(session_key)(second))
        for socket, expected in ((tutor, 2), (learner, 1), (sam, 0)):
            for _ in range(expected):
                await socket.wait_for("peer.joined")
        offer = {"description": {"type": "offer", "sdp": "v=0..."}}
        await tutor.send({"type": "signal", "to": learner.state["peer_id"], "data": offer})
        relayed = await learner.wait_for("signal")
        assert relayed == {
            "type": "signal",
            "from": tutor.state["peer_id"],
            "from_user": party.tutor.pk,
            "data": offer,
        }
        answer = {"description": {"type": "answer", "sdp": "v=0..."}}
        await learner.send({"type": "signal", "to": relayed["from"], "data": answer})
        assert (await tutor.wait_for("signal"))["data"] == answer
        assert not [e for e in await sam.settle() if e["type"] == "signal"]
        assert not [e for e in await learner.settle() if e["type"] == "signal"]

    async def test_a_signal_to_someone_outside_the_room_is_refused(self, party, sockets) -> None:
        elsewhere_tutor = await sync_to_async(make_tutor)(display_name="Ella")
        other_booking = await sync_to_async(make_booking)(elsewhere_tutor, [party.outsider])
        other_room = await sync_to_async(selectors.room_for_booking)(booking=other_booking)
        stranger = await sockets.room(other_room, party.outsider_key)
        learner = await sockets.room(party.room, party.learner_key)
        for target in (stranger.state["peer_id"], learner.state["peer_id"], "nobody", None, 7):
            await learner.send({"type": "signal", "to": target, "data": {"candidate": "x"}})
            assert (await learner.wait_for("error"))["code"] == "unknown_peer"
        assert not [e for e in await stranger.settle() if e["type"] == "signal"]

    async def test_a_signal_without_data_is_refused(self, party, sockets) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await learner.send({"type": "signal", "to": tutor.state["peer_id"], "data": "sdp"})
        assert (await learner.wait_for("error"))["code"] == "unknown_peer"


# --- whiteboard and notes ------------------------------------------------------------------------


class TestWhiteboard:
    async def test_strokes_are_broadcast_replayed_to_latecomers_and_cleared(
        self, party, sockets
    ) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        strokes = [
            {"points": [[0.1, 0.1], [0.2, 0.25]], "color": "#ff0000", "width": 4},
            {"points": [[0.5, 0.5], [2, -1]], "color": "red; background:url(x)", "erase": True},
        ]
        for data in strokes:
            await tutor.send({"type": "wb.stroke", "data": data})
            await tutor.wait_for("wb.stroke")
        latecomer = await sockets.room(party.room, party.learner_key)
        replay = latecomer.state["strokes"]
        assert [s["data"] for s in replay] == [
            {"points": [[0.1, 0.1], [0.2, 0.25]], "color": "#ff0000", "width": 4.0, "erase": False},
            {"points": [[0.5, 0.5], [1.0, 0.0]], "color": "#222222", "width": 3, "erase": True},
        ]
        assert {s["author"] for s in replay} == {party.tutor.pk}
        await latecomer.send({"type": "wb.stroke", "data": {"points": [[0.3, 0.3]]}})
        live = await tutor.wait_for("wb.stroke")
        assert live["author"] == party.learner.pk and live["data"]["points"] == [[0.3, 0.3]]
        await latecomer.send({"type": "wb.clear"})
        for socket in (tutor, latecomer):
            assert (await socket.wait_for("wb.clear"))["by"]["id"] == party.learner.pk
        assert not await sync_to_async(WhiteboardStroke.objects.exists)()
        after = await sockets.room(party.room, party.tutor_key)
        assert after.state["strokes"] == []

    async def test_a_stroke_with_nan_is_refused_with_an_error_event(self, party, sockets) -> None:
        """json.loads accepts NaN; the database's JSON check would not (nor would a browser)."""
        room = await sockets.room(party.room, party.tutor_key)
        frame = '{"type": "wb.stroke", "data": {"points": [[NaN, 0.5]], "width": Infinity}}'
        await room.comm.send_to(text_data=frame)
        assert (await room.wait_for("error"))["code"] == "invalid_stroke"
        await room.send({"type": "ping"})
        await room.wait_for("pong")
        assert not await sync_to_async(WhiteboardStroke.objects.exists)()


class TestNotes:
    async def test_concurrent_edits_of_different_lines_merge(self, party, sockets) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await tutor.send({"type": "notes", "base_version": 0, "text": "a\nb\nc\n"})
        assert (await learner.wait_for("notes"))["version"] == 1
        await tutor.wait_for("notes")
        await asyncio.gather(
            tutor.send({"type": "notes", "base_version": 1, "text": "A\nb\nc\n"}),
            learner.send({"type": "notes", "base_version": 1, "text": "a\nb\nC\n"}),
        )
        final = await tutor.wait_for("notes", version=3)
        assert final["text"] == "A\nb\nC\n" and final["merged"] is True
        assert (await learner.wait_for("notes", version=3))["text"] == "A\nb\nC\n"
        notes = await sync_to_async(SharedNotes.objects.get)(room=party.room)
        assert (notes.version, notes.text) == (3, "A\nb\nC\n")
        revisions = await revision_rows()
        assert revisions[0] == (1, "a\nb\nc\n") and revisions[2] == (3, "A\nb\nC\n")
        assert revisions[1][1] in {"A\nb\nc\n", "a\nb\nC\n"}
        conflicts = [e for e in tutor.seen + learner.seen if e["type"] == "notes.conflict"]
        assert conflicts == []

    async def test_edits_of_the_same_line_conflict_for_the_second_writer(
        self, party, sockets
    ) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await tutor.send({"type": "notes", "base_version": 0, "text": "plan\nstep one\n"})
        await learner.wait_for("notes", version=1)
        await tutor.send({"type": "notes", "base_version": 1, "text": "plan\nstep ONE (tutor)\n"})
        await learner.wait_for("notes", version=2)
        await learner.send({"type": "notes", "base_version": 1, "text": "plan\nstep 1 (learner)\n"})
        conflict = await learner.wait_for("notes.conflict")
        assert conflict == {
            "type": "notes.conflict",
            "version": 2,
            "text": "plan\nstep ONE (tutor)\n",
            "yours": "plan\nstep 1 (learner)\n",
        }
        assert not [e for e in await tutor.settle() if e["type"] == "notes.conflict"]
        # The learner resolves on top of the current version: accepted, nothing was lost.
        resolved = "plan\nstep ONE (tutor)\nstep 1 (learner)\n"
        await learner.send({"type": "notes", "base_version": 2, "text": resolved})
        assert (await tutor.wait_for("notes", version=3))["text"] == resolved
        texts = [text for _, text in await revision_rows()]
        assert texts == ["plan\nstep one\n", "plan\nstep ONE (tutor)\n", resolved]

    async def test_notes_are_in_the_state_of_a_latecomer(self, party, sockets) -> None:
        await sync_to_async(services.notes_update)(
            actor=party.tutor, room=party.room, base_version=0, text="agenda"
        )
        room = await sockets.room(party.room, party.learner_key)
        assert room.state["notes"] == {"version": 1, "text": "agenda"}
