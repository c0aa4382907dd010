"""Discussions in the admin: categories and tags are a catalogue; threads and replies are
records moderated through ``forum.services`` (reason, author told, flags resolved, audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from peerlearn.accounts.adminkit import BaseAdmin, RecordAdmin, RecordInline, service_action

from . import services
from .models import (
    Category,
    CategoryMember,
    Flag,
    ModerationAction,
    PostEdit,
    Reply,
    Subscription,
    Tag,
    Thread,
    Vote,
)


@admin.register(Category)
class CategoryAdmin(BaseAdmin):
    list_display = ["name", "slug", "kind", "subject", "institution", "members_only", "position"]
    list_filter = ["kind", "members_only"]
    search_fields = ["name", "slug"]
    list_select_related = ["subject", "institution"]
    autocomplete_fields = ["subject", "institution"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(BaseAdmin):
    list_display = ["name"]
    search_fields = ["name"]


def _thread_action(action: str, label: str) -> Any:
    return service_action(
        name=f"thread_{action}",
        description=label,
        permission="moderate",
        apply=lambda actor, thread, reason: services.thread_moderate(
            actor=actor, thread_id=thread.pk, action=action, reason=reason
        ),
    )


def _reply_action(action: str, label: str) -> Any:
    return service_action(
        name=f"reply_{action}",
        description=label,
        permission="moderate",
        apply=lambda actor, reply, reason: services.reply_moderate(
            actor=actor, reply_id=reply.pk, action=action, reason=reason
        ),
    )


class ReplyInline(RecordInline):
    model = Reply
    fk_name = "thread"
    fields = ["author", "body", "status", "score", "created_at"]


@admin.register(Thread)
class ThreadAdmin(RecordAdmin):
    list_display = [
        "title",
        "category",
        "author",
        "status",
        "reply_count",
        "pinned",
        "locked",
        "created_at",
    ]
    list_filter = ["status", "pinned", "locked", "category"]
    search_fields = ["=id", "title", "author__email"]
    list_select_related = ["category", "author"]
    date_hierarchy = "created_at"
    exclude = ["html", "search_vector"]
    inlines = [ReplyInline]
    actions = [
        _thread_action("hide", "Hide"),
        _thread_action("unhide", "Show again"),
        _thread_action("lock", "Lock"),
        _thread_action("unlock", "Unlock"),
    ]


@admin.register(Reply)
class ReplyAdmin(RecordAdmin):
    list_display = ["id", "thread", "author", "status", "score", "created_at"]
    list_filter = ["status"]
    search_fields = ["=id", "author__email", "thread__title"]
    list_select_related = ["thread", "author"]
    date_hierarchy = "created_at"
    exclude = ["html", "search_vector"]
    actions = [_reply_action("hide", "Hide"), _reply_action("unhide", "Show again")]


@admin.register(CategoryMember)
class CategoryMemberAdmin(RecordAdmin):
    """The roster of a roster-only category, written by the LTI roster sync."""

    list_display = ["category", "user", "added_at"]
    search_fields = ["user__email", "category__name"]
    list_select_related = ["category", "user"]
    list_filter = ["category"]


@admin.register(Vote)
class VoteAdmin(RecordAdmin):
    list_display = ["user", "thread_id", "reply_id", "value", "created_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(Subscription)
class SubscriptionAdmin(RecordAdmin):
    list_display = ["user", "thread_id", "category_id", "created_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(Flag)
class FlagAdmin(RecordAdmin):
    list_display = ["reporter", "thread_id", "reply_id", "reason", "created_at", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["reporter__email", "reason"]
    list_select_related = ["reporter"]
    date_hierarchy = "created_at"


@admin.register(PostEdit)
class PostEditAdmin(RecordAdmin):
    list_display = ["thread_id", "reply_id", "editor", "title", "created_at"]
    search_fields = ["editor__email", "title"]
    list_select_related = ["editor"]
    date_hierarchy = "created_at"
    exclude = ["html"]


@admin.register(ModerationAction)
class ModerationActionAdmin(RecordAdmin):
    list_display = ["moderator", "action", "thread_id", "reply_id", "reason", "created_at"]
    list_filter = ["action"]
    search_fields = ["moderator__email", "reason"]
    list_select_related = ["moderator"]
    date_hierarchy = "created_at"
