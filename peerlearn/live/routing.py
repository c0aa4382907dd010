from __future__ import annotations

from django.urls import path

from peerlearn.practice.consumers import PracticeConsumer

from . import consumers

websocket_urlpatterns = [
    path("ws/rooms/<int:room_id>/", consumers.RoomConsumer.as_asgi()),
    path("ws/notifications/", consumers.NotificationConsumer.as_asgi()),
    path("ws/practice/", PracticeConsumer.as_asgi()),
]
