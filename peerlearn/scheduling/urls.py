from __future__ import annotations

from django.urls import path

from . import views

app_name = "scheduling"

urlpatterns = [
    path("", views.my_sessions, name="my_sessions"),
    path("book/<int:tutor_id>/", views.book, name="book"),
    path("groups/", views.group_sessions, name="groups"),
    path("groups/<int:booking_id>/join/", views.group_join, name="group_join"),
    path("groups/<int:booking_id>/leave/", views.group_leave, name="group_leave"),
    path("settings/", views.scheduling_settings, name="settings"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="feed"),
    path("<int:booking_id>/", views.booking_detail, name="detail"),
    path("<int:booking_id>/invite.ics", views.booking_ics, name="ics"),
    path("<int:booking_id>/<slug:action>/", views.booking_action, name="action"),
]
