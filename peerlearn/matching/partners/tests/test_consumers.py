"""The partner socket (routed here the way ``live/routing.py`` will route it): a signed-in
learner hears their own ``matched`` event with the session's URL; anonymous sockets are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.layers import channel_layers
from channels.routing import URLRouter
from django.conf import settings
from django.urls import path

from peerlearn.common.testing import make_user
from peerlearn.live.tests.consumers.helpers import WebsocketCommunicator, session_key
from peerlearn.matching.partners import services
from peerlearn.matching.partners.consumers import PartnerQueueConsumer
from peerlearn.practice.models import PracticeSession
from peerlearn.practice.tests.factories import make_add_problem

pytestmark = pytest.mark.django_db(transaction=True)

APP = AuthMiddlewareStack(
    URLRouter([path("ws/practice/partners/", PartnerQueueConsumer.as_asgi())])
)


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def communicator(key: str | None):
    headers = [(b"origin", b"http://testserver")]
    if key:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()))
    return WebsocketCommunicator(APP, "/ws/practice/partners/", headers=headers)


async def test_anonymous_sockets_are_refused() -> None:
    socket = communicator(None)
    connected, _ = await socket.connect()
    assert not connected


async def test_both_learners_hear_the_match() -> None:
    await sync_to_async(make_add_problem)()
    alice, bob = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    socket = communicator(await sync_to_async(session_key)(alice))
    connected, _ = await socket.connect()
    assert connected
    first = await sync_to_async(services.request_join)(actor=alice, topic="math", difficulty="easy")
    assert (await socket.receive_json_from(timeout=2))["type"] == "queue"
    await sync_to_async(services.request_join)(actor=bob, topic="math", difficulty="easy")
    events: list[dict[str, object]] = []
    while not any(e["type"] == "matched" for e in events):
        events.append(await socket.receive_json_from(timeout=2))
    matched = next(e for e in events if e["type"] == "matched")
    session = await sync_to_async(PracticeSession.objects.get)()
    assert matched == {
        "type": "matched",
        "request": first.pk,
        "url": f"/practice/s/{session.uid}/",
        "partner": bob.display_name,
    }
    await socket.send_json_to({"type": "ping"})
    while (await socket.receive_json_from(timeout=2))["type"] != "pong":
        pass
    await socket.disconnect()
