"""/ws/messages/ through the whole ASGI stack: a socket hears only its user's conversations,
every frame naming a conversation is authorized, and "viewing" suppresses notifications."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.conf import settings

from config.asgi import application
from peerlearn.common.testing import make_user
from peerlearn.live.tests.consumers.helpers import WebsocketCommunicator
from peerlearn.messaging import selectors, services
from peerlearn.messaging.models import Membership
from peerlearn.notifications.models import Notification

from .conftest import logged_in

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://localhost"
WAIT = 5.0
SETTLE = 0.3


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def _key(user: Any) -> str:
    return str(logged_in(user).cookies[settings.SESSION_COOKIE_NAME].value)


class Socket:
    def __init__(self, key: str | None) -> None:
        headers = [(b"origin", ORIGIN.encode())]
        if key:
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()))
        self.comm = WebsocketCommunicator(application, "/ws/messages/", headers=headers)

    async def connect(self) -> tuple[bool, Any]:
        connected, code = await self.comm.connect(timeout=WAIT)
        return bool(connected), code

    async def send(self, content: dict[str, Any]) -> None:
        await self.comm.send_json_to(content)

    async def wait_for(self, kind: str) -> dict[str, Any]:
        while True:
            message = await self.comm.receive_output(timeout=WAIT)
            assert message["type"] != "websocket.close", "closed"
            event: dict[str, Any] = json.loads(message["text"])
            if event["type"] == kind:
                return event

    async def settle(self) -> list[dict[str, Any]]:
        await asyncio.sleep(SETTLE)
        out = []
        while not self.comm.output_queue.empty():
            message = self.comm.output_queue.get_nowait()
            if message["type"] == "websocket.send":
                out.append(json.loads(message["text"]))
        return out

    async def close(self) -> None:
        await self.comm.disconnect()


@sync_to_async
def _setup() -> dict[str, Any]:
    ann = make_user(display_name="Ann")
    ben = make_user(display_name="Ben")
    otto = make_user(display_name="Otto")
    conversation = services.conversation_start(actor=ann, with_ids=[ben.pk])
    return {
        "ann": ann,
        "ben": ben,
        "otto": otto,
        "conversation": conversation,
        "keys": {"ann": _key(ann), "ben": _key(ben), "otto": _key(otto)},
    }


async def test_an_anonymous_socket_is_refused() -> None:
    connected, _ = await Socket(None).connect()
    assert not connected


async def test_members_hear_new_messages_and_a_stranger_hears_nothing() -> None:
    s = await _setup()
    ben, otto = Socket(s["keys"]["ben"]), Socket(s["keys"]["otto"])
    assert (await ben.connect())[0] and (await otto.connect())[0]
    await sync_to_async(services.message_send)(
        actor=s["ann"], conversation_id=s["conversation"].pk, body="secret plans"
    )
    event = await ben.wait_for("msg.new")
    assert event["body"] == "secret plans" and event["author"]["name"] == "Ann"
    heard = await otto.settle()
    assert all("secret" not in json.dumps(e) for e in heard)
    await ben.close()
    await otto.close()


async def test_a_stranger_cannot_view_or_mark_read_a_foreign_conversation() -> None:
    s = await _setup()
    otto = Socket(s["keys"]["otto"])
    await otto.connect()
    await otto.send({"type": "viewing", "conversation": s["conversation"].pk})
    assert (await otto.wait_for("error"))["code"] == "not_found"
    await otto.send({"type": "read", "conversation": s["conversation"].pk, "last_id": 1})
    assert (await otto.wait_for("error"))["code"] == "not_found"
    viewing = await sync_to_async(selectors.is_viewing)(
        conversation_id=s["conversation"].pk, user_id=s["otto"].pk
    )
    assert not viewing
    await otto.close()


async def test_read_over_the_socket_sends_a_receipt_to_the_author() -> None:
    s = await _setup()
    ann, ben = Socket(s["keys"]["ann"]), Socket(s["keys"]["ben"])
    await ann.connect()
    await ben.connect()
    message = await sync_to_async(services.message_send)(
        actor=s["ann"], conversation_id=s["conversation"].pk, body="hello"
    )
    await ben.wait_for("msg.new")
    await ben.send({"type": "read", "conversation": s["conversation"].pk, "last_id": message.pk})
    receipt = await ann.wait_for("msg.read")
    assert receipt["last_id"] == message.pk and receipt["user"]["name"] == "Ben"
    unread = await ben.wait_for("msg.unread")
    assert unread["total"] == 0
    await ann.close()
    await ben.close()


async def test_no_receipt_when_the_reader_turned_them_off() -> None:
    s = await _setup()
    await sync_to_async(services.read_receipts_set)(actor=s["ben"], enabled=False)
    ann, ben = Socket(s["keys"]["ann"]), Socket(s["keys"]["ben"])
    await ann.connect()
    await ben.connect()
    message = await sync_to_async(services.message_send)(
        actor=s["ann"], conversation_id=s["conversation"].pk, body="hello"
    )
    await ben.wait_for("msg.new")
    await ben.send({"type": "read", "conversation": s["conversation"].pk, "last_id": message.pk})
    await ben.wait_for("msg.unread")
    assert all(e["type"] != "msg.read" for e in await ann.settle())
    member = await sync_to_async(Membership.objects.get)(user=s["ben"])
    assert member.last_read_id == message.pk  # still read, just not told
    await ann.close()
    await ben.close()


async def test_viewing_suppresses_the_notification_until_the_socket_closes() -> None:
    s = await _setup()
    ben = Socket(s["keys"]["ben"])
    await ben.connect()
    await ben.send({"type": "viewing", "conversation": s["conversation"].pk})
    await ben.send({"type": "ping"})
    await ben.wait_for("pong")
    send = sync_to_async(services.message_send)
    await send(actor=s["ann"], conversation_id=s["conversation"].pk, body="watching")
    count = sync_to_async(lambda: Notification.objects.filter(user=s["ben"]).count())
    assert await count() == 0
    await ben.close()
    await send(actor=s["ann"], conversation_id=s["conversation"].pk, body="gone")
    assert await count() == 1


async def test_malformed_frames_get_an_error() -> None:
    s = await _setup()
    ann = Socket(s["keys"]["ann"])
    await ann.connect()
    await ann.send({"type": "read", "conversation": "abc"})
    assert (await ann.wait_for("error"))["code"] == "invalid"
    await ann.send({"type": "nope"})
    assert (await ann.wait_for("error"))["code"] == "unknown_type"
    await ann.close()
