"""Every WebSocket URL, one consumer per app (``config/asgi.py`` mounts them behind the origin
check and session auth). Apps build on ``peerlearn.common.realtime`` and never import each
other's consumers; only this file sees them all."""

from __future__ import annotations

from django.urls import path

from peerlearn.forum.consumers import CategoryConsumer, ThreadConsumer
from peerlearn.live.consumers import RoomConsumer
from peerlearn.matching.help.consumers import HelpConsumer
from peerlearn.matching.partners.consumers import PartnerQueueConsumer
from peerlearn.messaging.consumers import MessagingConsumer
from peerlearn.notifications.consumers import NotificationConsumer
from peerlearn.practice.consumers import PracticeConsumer

websocket_urlpatterns = [
    path("ws/rooms/<int:room_id>/", RoomConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/practice/", PracticeConsumer.as_asgi()),
    path("ws/forum/threads/<int:thread_id>/", ThreadConsumer.as_asgi()),
    path("ws/forum/categories/<int:category_id>/", CategoryConsumer.as_asgi()),
    path("ws/messages/", MessagingConsumer.as_asgi()),
    path("ws/practice/partners/", PartnerQueueConsumer.as_asgi()),
    path("ws/help/offers/", HelpConsumer.as_asgi()),
    path("ws/help/<int:request_id>/", HelpConsumer.as_asgi()),
]
