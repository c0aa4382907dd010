from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "forum"

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("preview/", views.preview, name="preview"),
    path("moderation/", views.moderation, name="moderation"),
    path("new/", views.thread_new, name="thread_new"),
    path("c/<slug:slug>/", views.category, name="category"),
    path(
        "c/<slug:key>/subscribe/", views.subscribe, {"kind": "category"}, name="category_subscribe"
    ),
    path("t/<int:thread_id>/", views.thread, name="thread"),
    path("t/<int:thread_id>/reply/", views.reply, name="reply"),
    path("t/<int:thread_id>/edit/", views.thread_edit, name="thread_edit"),
    path("t/<int:thread_id>/accept/", views.accept, name="accept"),
    path("t/<str:key>/subscribe/", views.subscribe, {"kind": "thread"}, name="thread_subscribe"),
    path("r/<int:reply_id>/", views.reply_fragment, name="reply_fragment"),
    path("r/<int:reply_id>/edit/", views.reply_edit, name="reply_edit"),
]
for prefix, kind in (("t", "thread"), ("r", "reply")):
    urlpatterns += [
        path(
            f"{prefix}/<int:post_id>/history/",
            views.history,
            {"kind": kind},
            name=f"{kind}_history",
        ),
        path(f"{prefix}/<int:post_id>/vote/", views.vote, {"kind": kind}, name=f"{kind}_vote"),
        path(f"{prefix}/<int:post_id>/flag/", views.flag, {"kind": kind}, name=f"{kind}_flag"),
        path(
            f"{prefix}/<int:post_id>/moderate/",
            views.moderate,
            {"kind": kind},
            name=f"{kind}_moderate",
        ),
    ]
