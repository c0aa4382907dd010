"""/ws/help/<id>/ and /ws/help/offers/ through the auth stack. The routes are not in
peerlearn/live/routing.py yet, so the test mounts them itself (as the lead will)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.layers import channel_layers
from channels.routing import URLRouter
from django.conf import settings
from django.urls import path
from django.utils import timezone

from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.live.tests.consumers.helpers import WebsocketCommunicator, session_key
from peerlearn.matching.help import services
from peerlearn.matching.help.consumers import HelpConsumer
from peerlearn.matching.help.models import HelpOffer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_candidates")]

application = AuthMiddlewareStack(
    URLRouter(
        [
            path("ws/help/offers/", HelpConsumer.as_asgi()),
            path("ws/help/<int:request_id>/", HelpConsumer.as_asgi()),
        ]
    )
)
WAIT = 5.0


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def socket(path: str, key: str | None) -> Any:
    headers = [(b"origin", b"http://localhost")]
    if key is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def next_event(comm: Any, kind: str) -> dict[str, Any]:
    while True:
        message = await comm.receive_output(timeout=WAIT)
        assert message["type"] != "websocket.close", message
        event: dict[str, Any] = json.loads(message["text"])
        if event["type"] == kind:
            return event


def setup() -> tuple[Any, Any, Any, Any]:
    topic = make_subject("Graphs")
    first, second = (make_tutor(display_name=n, subject=topic) for n in ("A", "B"))
    learner = make_user()
    day = timezone.now() + timedelta(days=3)
    request = services.help_request_create(
        actor=learner,
        subject_id=topic.pk,
        description="Help",
        starts_at=day.replace(hour=10, minute=0, second=0, microsecond=0),
        duration_minutes=60,
    )
    return request, learner, first, second


async def test_the_learner_and_the_asked_tutors_hear_the_changes() -> None:
    request, learner, first, second = await sync_to_async(setup)()
    watching = socket(f"/ws/help/{request.pk}/", await sync_to_async(session_key)(learner))
    other_tutor = socket("/ws/help/offers/", await sync_to_async(session_key)(second))
    assert (await watching.connect(timeout=WAIT))[0]
    assert (await other_tutor.connect(timeout=WAIT))[0]
    offer = await sync_to_async(HelpOffer.objects.get)(request=request, tutor=first)

    await sync_to_async(services.help_offer_accept)(actor=first, offer_id=offer.pk)

    event = await next_event(watching, "help.request")
    assert event == {
        "type": "help.request",
        "request": request.pk,
        "status": "accepted",
        "round": 1,
        "change": "accepted",
        "tutor": first.pk,
    }
    taken = await next_event(other_tutor, "help.offer")
    assert taken["request"] == request.pk and taken["status"] == "taken"
    await watching.disconnect()
    await other_tutor.disconnect()


async def test_nobody_else_can_watch_a_request() -> None:
    request, _learner, first, _second = await sync_to_async(setup)()
    for key in (await sync_to_async(session_key)(first), None):
        comm = socket(f"/ws/help/{request.pk}/", key)
        connected, _code = await comm.connect(timeout=WAIT)
        assert not connected
        await comm.disconnect()
    anonymous = socket("/ws/help/offers/", None)
    assert not (await anonymous.connect(timeout=WAIT))[0]
    await anonymous.disconnect()
