"""The room and notification sockets through the whole ASGI stack (origin check → session auth →
router → consumer), with ``WebsocketCommunicator`` and a real database.

The notification socket; what the hot paths cost the database."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from conftest import require
from peerlearn.notifications.services import notify

pytestmark = pytest.mark.django_db(transaction=True)


# --- notifications socket ------------------------------------------------------------------------


class TestNotificationSocket:
    async def test_it_refuses_an_anonymous_user(self, sockets) -> None:
        assert await sockets.refused("/ws/notifications/", None) == 4403

    async def test_a_notification_is_pushed_with_the_unread_count(self, party, sockets) -> None:
        bell = sockets.make("/ws/notifications/", party.learner_key)
        assert (await bell.connect())[0]
        other = sockets.make("/ws/notifications/", party.tutor_key)
        assert (await other.connect())[0]
        room = await sockets.room(party.room, party.learner_key)
        for n in (1, 2):
            note = await sync_to_async(notify)(
                user=party.learner, kind="booking_reminder", title=f"Soon {n}", body="", url="/x/"
            )
            event = await bell.wait_for("notification")
            assert event == {
                "type": "notification",
                "unread_count": n,
                "id": note.pk,
                "kind": "booking_reminder",
                "title": f"Soon {n}",
                "url": "/x/",
            }
        assert not [e for e in await other.settle() if e["type"] == "notification"]
        assert not [e for e in await room.settle() if e["type"] == "notification"]
        await bell.send({"type": "ping"})
        await bell.wait_for("pong")


class TestDatabaseCost:
    """What the room socket's hot paths cost the database, in statements (not time)."""

    async def test_a_connect_runs_at_most_nine_statements(self, party, sockets, statements) -> None:
        await sockets.room(party.room, party.tutor_key)  # the room's notes exist from here on
        with statements:
            learner = await sockets.room(party.room, party.learner_key)
        assert learner.state["me"]["id"] == party.learner.pk
        # SQLite's transactions are statements too (BEGIN IMMEDIATE, COMMIT); PostgreSQL's are
        # not sent through the cursor, and savepoints count.
        queries = [q for q in statements.sql if q not in {"BEGIN IMMEDIATE", "COMMIT"}]
        assert len(queries) <= 9, "\n".join(queries)

    async def test_a_chat_message_runs_one_statement_on_postgresql(
        self, party, sockets, statements
    ) -> None:
        require(connection.vendor == "postgresql", "PostgreSQL")
        tutor = await sockets.room(party.room, party.tutor_key)
        learner = await sockets.room(party.room, party.learner_key)
        with statements:
            await learner.send({"type": "chat", "body": "hi", "client_id": "q-1"})
            await learner.wait_for("ack")
            await tutor.wait_for("chat")
        assert len(statements.sql) == 1, "\n".join(statements.sql)
