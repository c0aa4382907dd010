from __future__ import annotations

from django.urls import path

from . import views

app_name = "live"

urlpatterns = [
    path("join/<int:booking_id>/", views.join, name="join"),
    path("<int:room_id>/", views.room, name="room"),
    path("<int:room_id>/files/", views.upload, name="upload"),
    path("files/<int:file_id>/", views.file_download, name="file"),
]
