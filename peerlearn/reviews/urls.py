from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "reviews"

urlpatterns: list[URLPattern] = [
    path("", views.my_reviews, name="mine"),
    path("bookings/<int:booking_id>/", views.booking_reviews, name="booking"),
    path("<int:review_id>/report/", views.report, name="report"),
    path("moderation/", views.moderation, name="moderation"),
    path("<int:review_id>/hide/", views.hide, name="hide"),
    path("<int:review_id>/dismiss/", views.dismiss, name="dismiss"),
]
