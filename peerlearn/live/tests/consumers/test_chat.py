"""The room and notification sockets through the whole ASGI stack (origin check → session auth →
router → consumer), with ``WebsocketCommunicator`` and a real database.

Chat and its delivery (acks, resume, pages)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from peerlearn.live import selectors, services
from peerlearn.live.models import ChatMessage
from peerlearn.live.tests.consumers.helpers import chat_count

pytestmark = pytest.mark.django_db(transaction=True)


# --- chat --------------------------------------------------------------------------------------


class TestChat:
    async def test_a_message_is_stored_then_reaches_both_sanitized(self, party, sockets) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        body = (
            "**hi** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
        )
        await learner.send({"type": "chat", "body": body})
        seen_by_tutor = await tutor.wait_for("chat")
        seen_by_learner = await learner.wait_for("chat")
        assert seen_by_tutor == seen_by_learner
        stored = await sync_to_async(ChatMessage.objects.get)()
        assert seen_by_tutor["id"] == stored.pk and stored.body == body
        assert seen_by_tutor["author"] == {"id": party.learner.pk, "name": "Lee"}
        html = seen_by_tutor["html"]
        assert html == stored.html
        assert "<strong>hi</strong>" in html
        assert "<script" not in html and "<img" not in html and "href=" not in html
        assert "&lt;script&gt;" in html  # shown as text, not run

    async def test_an_empty_message_is_refused(self, party, sockets) -> None:
        room = await sockets.room(party.room, party.learner_key)
        await room.send({"type": "chat", "body": "   "})
        assert (await room.wait_for("error"))["code"] == "empty"

    async def test_the_history_arrives_on_join(self, party, sockets) -> None:
        for n, author in enumerate([party.tutor, party.learner, party.tutor]):
            await sync_to_async(services.chat_post)(actor=author, room=party.room, body=f"m{n}")
        room = await sockets.room(party.room, party.learner_key)
        chat = room.state["chat"]
        assert [m["html"] for m in chat] == ["<p>m0</p>\n", "<p>m1</p>\n", "<p>m2</p>\n"]
        assert [m["author"]["id"] for m in chat] == [
            party.tutor.pk,
            party.learner.pk,
            party.tutor.pk,
        ]
        assert chat == sorted(chat, key=lambda m: m["id"])

    async def test_resuming_from_the_last_id_sends_only_newer_messages(
        self, party, sockets
    ) -> None:
        ids = [
            (
                await sync_to_async(services.chat_post)(
                    actor=party.tutor, room=party.room, body=f"m{n}"
                )
            ).pk
            for n in range(5)
        ]
        room = await sockets.room(party.room, party.learner_key, query=f"?last_id={ids[2]}")
        assert [m["id"] for m in room.state["chat"]] == ids[3:]
        latest = await sockets.room(party.room, party.learner_key, query=f"?last_id={ids[-1]}")
        assert latest.state["chat"] == []

    @pytest.mark.parametrize("query", ["?last_id=abc", "?last_id=-4", "?last_id=", "?foo"])
    async def test_a_bad_last_id_sends_everything(self, party, sockets, query) -> None:
        await sync_to_async(services.chat_post)(actor=party.tutor, room=party.room, body="hello")
        room = await sockets.room(party.room, party.learner_key, query=query)
        assert len(room.state["chat"]) == 1

    async def test_a_shared_file_is_announced_in_the_chat(self, party, sockets) -> None:
        from peerlearn.common.testing import PDF_BYTES, upload

        tutor = await sockets.room(party.room, party.tutor_key)
        message = await sync_to_async(services.file_share)(
            actor=party.learner,
            room_id=party.room.pk,
            upload=upload("notes.pdf", PDF_BYTES, "application/pdf"),
        )
        event = await tutor.wait_for("chat")
        assert event["id"] == message.pk
        assert event["file"]["name"] == "notes.pdf" and event["file"]["size"] == len(PDF_BYTES)
        assert event["file"]["url"] == reverse("live:file", args=[message.file_id])


class TestDelivery:
    """Acknowledgement, idempotent resend, the chain of ``prev`` ids, resync paging."""

    async def test_a_message_with_a_client_id_is_acknowledged_with_its_stored_id(
        self, party, sockets
    ) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await learner.send({"type": "chat", "body": "hello", "client_id": "c-1"})
        ack = await learner.wait_for("ack")
        stored = await sync_to_async(ChatMessage.objects.get)()
        assert ack == {"type": "ack", "client_id": "c-1", "id": stored.pk}
        assert stored.client_id == "c-1"
        assert (await tutor.wait_for("chat"))["id"] == stored.pk
        assert not [e for e in await tutor.settle() if e["type"] == "ack"]  # the sender's only

    async def test_a_resend_with_the_same_client_id_is_stored_once(self, party, sockets) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        await learner.send({"type": "chat", "body": "only once", "client_id": "c-2"})
        first = await learner.wait_for("ack")
        await learner.close()  # the ack "was lost": the browser resends after reconnecting
        again = await sockets.room(party.room, party.learner_key)
        await again.send({"type": "chat", "body": "only once", "client_id": "c-2"})
        assert (await again.wait_for("ack"))["id"] == first["id"]
        assert await chat_count(party.room) == 1
        await tutor.settle()
        chats = [e for e in tutor.seen if e["type"] == "chat"]
        assert [e["id"] for e in chats] == [first["id"]]
        # Another author's message with the same client id is a different message.
        await tutor.send({"type": "chat", "body": "mine", "client_id": "c-2"})
        assert (await tutor.wait_for("ack"))["id"] != first["id"]
        assert await chat_count(party.room) == 2

    async def test_a_refused_message_names_its_client_id(self, party, sockets) -> None:
        room = await sockets.room(party.room, party.learner_key)
        await room.send({"type": "chat", "body": " ", "client_id": "c-3"})
        error = await room.wait_for("error")
        assert (error["code"], error["client_id"]) == ("empty", "c-3")

    async def test_each_message_names_the_one_before_it(self, party, sockets) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        ids = []
        for n in range(3):
            await tutor.send({"type": "chat", "body": f"m{n}", "client_id": f"p{n}"})
            ids.append((await tutor.wait_for("ack"))["id"])
        await tutor.settle()
        live = [e for e in tutor.seen if e["type"] == "chat"]
        assert [(e["prev"], e["id"]) for e in live] == [
            (0, ids[0]),
            (ids[0], ids[1]),
            (ids[1], ids[2]),
        ]
        joined = await sockets.room(party.room, party.learner_key, query=f"?last_id={ids[0]}")
        assert [(e["prev"], e["id"]) for e in joined.state["chat"]] == [
            (ids[0], ids[1]),
            (ids[1], ids[2]),
        ]

    async def test_a_long_absence_is_caught_up_page_by_page_in_order(self, party, sockets) -> None:
        @sync_to_async
        def post_many(count: int) -> list[int]:
            return [
                services.chat_post(actor=party.tutor, room=party.room, body=f"m{n}").pk
                for n in range(count)
            ]

        ids = await post_many(selectors.CHAT_PAGE * 2 + 7)
        room = await sockets.room(party.room, party.learner_key, query=f"?last_id={ids[2]}")
        state = room.state
        assert state["chat_more"] is True and len(state["chat"]) == selectors.CHAT_PAGE
        received = [m["id"] for m in state["chat"]]
        while True:
            page = await room.wait_for("chat.page")
            received += [m["id"] for m in page["chat"]]
            if not page["more"]:
                break
        assert received == ids[3:]
        # A resync on the same connection answers the same way, from the cursor it names.
        await room.send({"type": "resync", "last_id": ids[-5]})
        again = await room.wait_for("state")
        assert again["resync"] is True and [m["id"] for m in again["chat"]] == ids[-4:]
        assert again["chat_more"] is False and again["peer_id"] == state["peer_id"]

    async def test_the_state_carries_only_what_the_page_lacks(self, party, sockets) -> None:
        tutor = await sockets.room(party.room, party.tutor_key)
        for x in (0.1, 0.2):
            await tutor.send({"type": "wb.stroke", "data": {"points": [[x, x]]}})
            await tutor.wait_for("wb.stroke")
        first = await sync_to_async(lambda: selectors.strokes(room=party.room).first().pk)()  # type: ignore[union-attr]
        held = await sockets.room(
            party.room, party.learner_key, query=f"?strokes_after={first}&notes_version=0"
        )
        assert held.state["strokes_full"] is False and len(held.state["strokes"]) == 1
        assert held.state["notes"] is None
        await tutor.send({"type": "wb.clear"})
        await tutor.wait_for("wb.clear")
        cleared = await sockets.room(party.room, party.learner_key, query=f"?strokes_after={first}")
        assert cleared.state["strokes_full"] is True and cleared.state["strokes"] == []
