from __future__ import annotations

from django.urls import path

from . import views

app_name = "matching_help"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("<int:request_id>/", views.detail, name="detail"),
    path("<int:request_id>/cancel/", views.cancel, name="cancel"),
    path("offers/", views.offers, name="offers"),
    path("offers/<int:offer_id>/accept/", views.offer_accept, name="offer_accept"),
    path("offers/<int:offer_id>/decline/", views.offer_decline, name="offer_decline"),
]
