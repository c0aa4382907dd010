"""The room and notification sockets through the whole ASGI stack (origin check → session auth →
router → consumer), with ``WebsocketCommunicator`` and a real database.

When the channel layer fails."""

from __future__ import annotations

import socket as socket_module
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers

from peerlearn.common import realtime
from peerlearn.live import services
from peerlearn.live.models import ChatMessage
from peerlearn.live.tests.consumers.helpers import redis_url

pytestmark = pytest.mark.django_db(transaction=True)


class TestChannelLayerErrors:
    """No channel-layer error closes a socket: the write is stored and acknowledged, the socket
    answers, and the failure is counted (``realtime.LayerStats``)."""

    async def test_a_full_channel_does_not_close_the_socket(self, party, sockets, settings) -> None:
        """Redis's core layer with room for one message per channel, and a peer whose process
        died (its presence row outlives it for a while): signals to it overflow its channel."""
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [redis_url()],
                    "capacity": 1,
                    "prefix": f"test-{uuid.uuid4().hex[:8]}",
                },
            }
        }
        channel_layers.backends.clear()
        learner = await sockets.room(party.room, party.learner_key)
        dead = "specific.deadprocess!0123456789"
        await sync_to_async(services.presence_enter)(
            room=party.room, channel=dead, user=party.tutor
        )
        for n in range(5):
            await learner.send({"type": "signal", "to": dead, "data": {"n": n}})
        await learner.send({"type": "chat", "body": "still here", "client_id": "f-1"})
        assert (await learner.wait_for("ack"))["client_id"] == "f-1"
        await learner.send({"type": "ping"})
        await learner.wait_for("pong")
        assert learner.close_code is None
        assert realtime.LayerStats.errors.get("send: ChannelFull", 0) >= 1

    async def test_an_unreachable_redis_does_not_close_the_socket(
        self, party, sockets, settings
    ) -> None:
        with socket_module.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]},
            }
        }
        channel_layers.backends.clear()
        learner = await sockets.room(party.room, party.learner_key)
        await learner.send({"type": "typing"})
        await learner.send({"type": "chat", "body": "stored anyway", "client_id": "u-1"})
        ack = await learner.wait_for("ack")
        stored = await sync_to_async(ChatMessage.objects.get)()
        assert ack["id"] == stored.pk and stored.body == "stored anyway"
        await learner.send({"type": "ping"})
        await learner.wait_for("pong")
        assert learner.close_code is None
        assert any(k.startswith("group_send") for k in realtime.LayerStats.errors)
