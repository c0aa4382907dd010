from __future__ import annotations

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("people/<int:user_id>/", views.profile_detail, name="profile"),
    path("me/profile/", views.profile_edit, name="profile_edit"),
    path("me/avatar/", views.avatar_upload, name="avatar_upload"),
    path("me/subjects/", views.subjects_edit, name="subjects_edit"),
    path("me/availability/", views.availability_edit, name="availability_edit"),
    path("me/verification/", views.verification_mine, name="verification_mine"),
    path("institutions/", views.institution_list, name="institutions"),
    path("subjects/", views.subject_catalogue, name="subjects"),
    path("moderation/verification/", views.verification_queue, name="verification_queue"),
    path(
        "moderation/verification/<int:request_id>/",
        views.verification_review,
        name="verification_review",
    ),
    path(
        "verification/<int:request_id>/document/",
        views.verification_document,
        name="verification_document",
    ),
]
