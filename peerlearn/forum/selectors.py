"""Reads for discussions. Everything a person may see goes through ``visible_categories``:
a members-only category (and every thread and reply in it) exists only for members of its
institution and for moderators; for anyone else it looks exactly like nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from peerlearn.accounts.models import User
from peerlearn.accounts.roles import require_moderator
from peerlearn.common.errors import NotFound

from .models import (
    Category,
    CategoryMember,
    Flag,
    PostEdit,
    Reply,
    Status,
    Subscription,
    Thread,
    Vote,
)

SORTS = ("activity", "votes", "unanswered", "new")
Viewer = User | AnonymousUser


def _institution_id(user: Viewer) -> int | None:
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    return profile.institution_id if profile is not None else None


def _is_moderator(user: Viewer) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_moderator", False))


def visible_categories(user: Viewer) -> QuerySet[Category]:
    categories = Category.objects.all()
    if _is_moderator(user):
        return categories
    visible = Q(members_only=False)
    institution_id = _institution_id(user)
    if institution_id is not None:
        visible |= Q(roster_only=False, institution_id=institution_id)
    if user.is_authenticated:
        on_roster = CategoryMember.objects.filter(category=OuterRef("pk"), user_id=user.pk)
        visible |= Q(roster_only=True) & Q(Exists(on_roster))
    return categories.filter(visible)


def _post_visibility(user: Viewer) -> Q:
    """Visible posts, plus one's own hidden ones (their author sees why); moderators see all."""
    if _is_moderator(user):
        return Q()
    if user.is_authenticated:
        return Q(status=Status.VISIBLE) | Q(status=Status.HIDDEN, author_id=user.pk)
    return Q(status=Status.VISIBLE)


def visible_threads(user: Viewer) -> QuerySet[Thread]:
    return Thread.objects.filter(
        _post_visibility(user), category__in=visible_categories(user).values("pk")
    )


def category_list(user: Viewer) -> list[Category]:
    """Visible categories with their thread counts and latest activity (one query)."""
    visible = Q(threads__status=Status.VISIBLE)
    return list(
        visible_categories(user)
        .select_related("institution", "subject")
        .annotate(
            thread_count=Count("threads", filter=visible),
            last_activity=Max("threads__last_activity_at", filter=visible),
        )
    )


def access_category(user: Viewer, slug: str) -> Category:
    category = visible_categories(user).select_related("institution").filter(slug=slug).first()
    if category is None:
        raise NotFound("No such category.")
    return category


def access_category_by_id(user: Viewer, category_id: int) -> Category:
    category = visible_categories(user).filter(pk=category_id).first()
    if category is None:
        raise NotFound("No such category.")
    return category


def access_thread(user: Viewer, thread_id: int) -> Thread:
    thread = (
        visible_threads(user)
        .select_related("category", "author__profile", "moderated_by")
        .prefetch_related("tags")
        .filter(pk=thread_id)
        .first()
    )
    if thread is None:
        raise NotFound("No such thread.")
    return thread


def access_reply(user: Viewer, reply_id: int) -> Reply:
    reply = (
        Reply.objects.filter(
            _post_visibility(user), pk=reply_id, thread__in=visible_threads(user).values("pk")
        )
        .select_related("thread__category", "author__profile")
        .first()
    )
    if reply is None:
        raise NotFound("No such reply.")
    return reply


def _list_rows(qs: QuerySet[Thread]) -> QuerySet[Thread]:
    return qs.select_related("category", "author__profile").prefetch_related("tags")


def thread_list(
    user: Viewer, *, category: Category | None = None, sort: str = "activity", tag: str = ""
) -> QuerySet[Thread]:
    qs = visible_threads(user)
    if category is not None:
        qs = qs.filter(category=category)
    if tag:
        qs = qs.filter(tags__name=tag)
    if sort == "votes":
        order = ["-pinned", "-score", "-last_activity_at", "-id"]
    elif sort == "unanswered":
        qs = qs.filter(accepted_reply__isnull=True, reply_count=0)
        order = ["-pinned", "-created_at", "-id"]
    elif sort == "new":
        order = ["-pinned", "-created_at", "-id"]
    else:
        order = ["-pinned", "-last_activity_at", "-id"]
    return _list_rows(qs).order_by(*order)


def tag_names(thread_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each thread's tag names (as ``thread.tags.all()`` orders them), in one query of plain
    rows."""
    names: dict[int, list[str]] = {pk: [] for pk in thread_ids}
    through = Thread.tags.through.objects.filter(thread_id__in=thread_ids)
    for thread_id, name in through.order_by("tag__name").values_list("thread_id", "tag__name"):
        names[thread_id].append(name)
    return names


def replies_of(user: Viewer, thread: Thread) -> QuerySet[Reply]:
    return (
        thread.replies.filter(_post_visibility(user))
        .select_related("author__profile", "moderated_by")
        .order_by("created_at", "id")
    )


def my_votes(user: Viewer, *, thread: Thread, replies: list[Reply]) -> dict[str, int]:
    """{"t<id>" or "r<id>": value} for the viewer's votes on the thread and these replies."""
    if not user.is_authenticated:
        return {}
    votes = Vote.objects.filter(user=user).filter(
        Q(thread=thread) | Q(reply__in=[r.pk for r in replies])
    )
    return {
        (f"t{v.thread_id}" if v.thread_id else f"r{v.reply_id}"): v.value
        for v in votes.only("thread_id", "reply_id", "value")
    }


def is_subscribed(
    user: Viewer, *, thread: Thread | None = None, category: Category | None = None
) -> bool:
    if not user.is_authenticated:
        return False
    if thread is not None:
        return Subscription.objects.filter(user=user, thread=thread).exists()
    return Subscription.objects.filter(user=user, category=category).exists()


def edit_history(*, thread: Thread | None = None, reply: Reply | None = None) -> QuerySet[PostEdit]:
    qs = PostEdit.objects.select_related("editor__profile")
    return qs.filter(thread=thread) if thread is not None else qs.filter(reply=reply)


# --- search -------------------------------------------------------------------------------------


@dataclass
class SearchFilters:
    q: str = ""
    tag: str = ""
    category: str = ""
    author: str = ""


def _words(q: str) -> list[str]:
    return [w for w in q.split() if w][:8]


def thread_search(user: Viewer, filters: SearchFilters) -> QuerySet[Thread]:
    """Threads matching words in their title, body or a reply, filtered by tag, category slug
    and author (display name), best first. PostgreSQL: full-text search (``search_vector``,
    GIN-indexed) ranked by ``SearchRank``, a reply's match counting half. SQLite: every word
    must appear somewhere (icontains); title matches first, then score and activity."""
    qs = visible_threads(user)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag.lower())
    if filters.category:
        qs = qs.filter(category__slug=filters.category)
    if filters.author:
        qs = qs.filter(author__profile__display_name__icontains=filters.author.strip())
    words = _words(filters.q)
    if not words:
        return _list_rows(qs).order_by("-last_activity_at", "-id")
    visible_reply = Q(status=Status.VISIBLE)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(" ".join(words), search_type="websearch", config="english")
        reply_hits = Reply.objects.filter(visible_reply, thread=OuterRef("pk"), search_vector=query)
        best_reply = (
            reply_hits.annotate(r=SearchRank(F("search_vector"), query))
            .order_by("-r")
            .values("r")[:1]
        )
        qs = qs.filter(Q(search_vector=query) | Exists(reply_hits)).annotate(
            rank=Coalesce(SearchRank(F("search_vector"), query), Value(0.0))
            + Coalesce(Subquery(best_reply, output_field=FloatField()), Value(0.0)) * 0.5
        )
        return _list_rows(qs).order_by("-rank", "-score", "-last_activity_at", "-id")  # type: ignore[misc]
    for word in words:
        in_reply = Reply.objects.filter(visible_reply, thread=OuterRef("pk"), body__icontains=word)
        qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word) | Exists(in_reply))
    title_hits = sum(
        (Case(When(title__icontains=w, then=Value(2)), default=Value(0)) for w in words),
        Value(0),
    )
    body_hits = sum(
        (Case(When(body__icontains=w, then=Value(1)), default=Value(0)) for w in words),
        Value(0),
    )
    qs = qs.annotate(rank=title_hits + body_hits)
    return _list_rows(qs).order_by("-rank", "-score", "-last_activity_at", "-id")  # type: ignore[misc]


# --- moderation ---------------------------------------------------------------------------------


def flag_queue(*, actor: User | None = None) -> dict[str, Any]:
    """Open flags grouped by post: threads and replies with at least one unresolved flag.
    Moderators only (``Forbidden``; ``actor`` None: the system)."""
    require_moderator(actor, "Only moderators can do that.")
    # Counted, then filtered on the count: a bare filter on the flags' resolved_at also matches
    # a post with no flag at all (the outer join's empty row has a null resolved_at).
    open_flag = Q(flags__resolved_at__isnull=True, flags__isnull=False)
    threads = (
        Thread.objects.annotate(open_flags=Count("flags", filter=open_flag))
        .filter(open_flags__gt=0)
        .select_related("author__profile", "category")
        .prefetch_related("flags")
        .order_by("-open_flags", "-id")
    )
    replies = (
        Reply.objects.annotate(open_flags=Count("flags", filter=open_flag))
        .filter(open_flags__gt=0)
        .select_related("author__profile", "thread")
        .prefetch_related("flags")
        .order_by("-open_flags", "-id")
    )
    return {"threads": list(threads[:50]), "replies": list(replies[:50])}


def open_flag_count() -> int:
    return Flag.objects.filter(resolved_at__isnull=True).count()
