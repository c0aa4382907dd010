from __future__ import annotations

from django.urls import path

from peerlearn.forum.consumers import CategoryConsumer, ThreadConsumer
from peerlearn.matching.help.consumers import HelpConsumer
from peerlearn.matching.partners.consumers import PartnerQueueConsumer
from peerlearn.messaging.consumers import MessagingConsumer
from peerlearn.practice.consumers import PracticeConsumer

from . import consumers

websocket_urlpatterns = [
    path("ws/rooms/<int:room_id>/", consumers.RoomConsumer.as_asgi()),
    path("ws/notifications/", consumers.NotificationConsumer.as_asgi()),
    path("ws/practice/", PracticeConsumer.as_asgi()),
    path("ws/forum/threads/<int:thread_id>/", ThreadConsumer.as_asgi()),
    path("ws/forum/categories/<int:category_id>/", CategoryConsumer.as_asgi()),
    path("ws/messages/", MessagingConsumer.as_asgi()),
    path("ws/practice/partners/", PartnerQueueConsumer.as_asgi()),
    path("ws/help/offers/", HelpConsumer.as_asgi()),
    path("ws/help/<int:request_id>/", HelpConsumer.as_asgi()),
]
