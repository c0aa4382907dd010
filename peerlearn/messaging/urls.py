from __future__ import annotations

from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.start, name="start"),
    path("settings/", views.settings_page, name="settings"),
    path("moderation/", views.moderation, name="moderation"),
    path("moderation/<int:report_id>/resolve/", views.resolve, name="resolve"),
    path("<int:conversation_id>/", views.conversation, name="conversation"),
    path("<int:conversation_id>/send/", views.send, name="send"),
    path("m/<int:message_id>/report/", views.report, name="report"),
    path("people/<int:user_id>/block/", views.block, name="block"),
    path("people/<int:user_id>/unblock/", views.unblock, name="unblock"),
    path("files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("files/<int:attachment_id>/image/", views.image, name="image"),
    path("files/<int:attachment_id>/thumb/", views.thumbnail, name="thumbnail"),
]
