from __future__ import annotations

from django.urls import path

from . import views

app_name = "matching_partners"

urlpatterns = [
    path("", views.index, name="index"),
    path("leave/", views.leave, name="leave"),
    path("status/", views.status, name="status"),
]
