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
    path("me/data/", views.account_data, name="account_data"),
    path("me/data/export/", views.account_export, name="account_export"),
    path(
        "me/data/export/<int:export_id>/",
        views.account_export_download,
        name="account_export_download",
    ),
    path("me/data/delete/", views.account_delete, name="account_delete"),
    path("me/data/delete/undo/", views.account_delete_cancel, name="account_delete_cancel"),
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
