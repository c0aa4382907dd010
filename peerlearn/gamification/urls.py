from __future__ import annotations

from django.urls import path

from . import views

app_name = "gamification"

urlpatterns = [
    path("", views.leaderboard, name="leaderboard"),
    path("me/", views.me, name="me"),
    path("badges/", views.badges, name="badges"),
]
