"""Forum endpoints of the JSON API: categories, threads (list, create, detail with paginated
replies), replies, votes, the accepted answer, search, subscriptions and flags.

Adapters only: the same selectors and services as the pages, so a members-only category is a
404 here exactly as there. Every operation needs an authenticated caller (the API's default).
"""

# No ``from __future__ import annotations``: ninja reads annotations at import time.
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from peerlearn.accounts.models import display_name
from peerlearn.api.auth import request_user
from peerlearn.api.helpers import ok
from peerlearn.api.pages import Page, fast_page, json_time

from . import selectors, services
from .models import BODY_MAX, REASON_MAX, TITLE_MAX, Category, Reply, Thread

router = Router(tags=["forum"])


class CategoryOut(Schema):
    slug: str
    name: str
    kind: str
    description: str
    members_only: bool
    thread_count: int = 0


class ThreadOut(Schema):
    id: int
    category: str
    title: str
    author: str
    tags: list[str]
    score: int
    reply_count: int
    accepted_reply: int | None = Field(None, alias="accepted_reply_id")
    pinned: bool
    locked: bool
    status: str
    created_at: datetime
    last_activity_at: datetime

    @staticmethod
    def resolve_category(obj: Thread) -> str:
        return obj.category.slug

    @staticmethod
    def resolve_author(obj: Thread) -> str:
        return obj.author.display_name

    @staticmethod
    def resolve_tags(obj: Thread) -> list[str]:
        return [t.name for t in obj.tags.all()]


class ThreadDetailOut(ThreadOut):
    body: str
    html: str
    edited_at: datetime | None
    moderation_reason: str


class ReplyOut(Schema):
    id: int
    thread: int = Field(..., alias="thread_id")
    author: str
    body: str
    html: str
    score: int
    status: str
    moderation_reason: str
    created_at: datetime
    edited_at: datetime | None

    @staticmethod
    def resolve_author(obj: Reply) -> str:
        return obj.author.display_name


class ThreadIn(Schema):
    category: str
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(max_length=BODY_MAX)
    tags: list[str] = []


class ReplyIn(Schema):
    body: str = Field(max_length=BODY_MAX)


class VoteIn(Schema):
    value: Literal[-1, 0, 1]


class VoteOut(Schema):
    score: int


class AcceptIn(Schema):
    reply: int | None


class SubscribeIn(Schema):
    on: bool = True


class FlagIn(Schema):
    reason: str = Field(max_length=REASON_MAX)


class StateOut(Schema):
    ok: bool = True


class ThreadFilters(Schema):
    category: str = ""
    sort: Literal["activity", "votes", "unanswered", "new"] = "activity"
    tag: str = ""


class SearchFilters(Schema):
    q: str = ""
    tag: str = ""
    category: str = ""
    author: str = ""


@router.get("/forum/categories", response=ok(list[CategoryOut]), summary="Visible categories")
def categories(request: HttpRequest) -> list[Category]:
    return selectors.category_list(request_user(request))


# What a list item shows (not the body, its HTML or the search vector), as plain rows.
LIST_FIELDS = (
    *("id", "title", "score", "reply_count", "accepted_reply_id", "pinned", "locked", "status"),
    *("created_at", "last_activity_at", "category__slug", "author_id"),
    "author__profile__display_name",
)


def thread_item(row: dict[str, Any], tags: dict[int, list[str]]) -> dict[str, Any]:
    """One ``ThreadOut``, from a row of ``LIST_FIELDS`` and the page's ``selectors.tag_names``."""
    return {
        "id": row["id"],
        "category": row["category__slug"],
        "title": row["title"],
        "author": display_name(row["author_id"], row["author__profile__display_name"]),
        "tags": tags[row["id"]],
        "score": row["score"],
        "reply_count": row["reply_count"],
        "accepted_reply": row["accepted_reply_id"],
        "pinned": row["pinned"],
        "locked": row["locked"],
        "status": row["status"],
        "created_at": json_time(row["created_at"]),
        "last_activity_at": json_time(row["last_activity_at"]),
    }


def _page_tags(rows: list[dict[str, Any]], request: HttpRequest) -> dict[int, list[str]]:
    return selectors.tag_names([row["id"] for row in rows])


@router.get("/forum/threads", response=ok(list[ThreadOut]), summary="Threads")
@fast_page(thread_item, page_size=25, prepare=_page_tags)
def threads_list(request: HttpRequest, filters: Query[ThreadFilters]):
    user = request_user(request)
    category = selectors.access_category(user, filters.category) if filters.category else None
    threads = selectors.thread_list(user, category=category, sort=filters.sort, tag=filters.tag)
    return threads.prefetch_related(None).values(*LIST_FIELDS)


@router.post("/forum/threads", response=ok(ThreadDetailOut, 201), summary="Start a thread")
def thread_create(request: HttpRequest, payload: ThreadIn) -> Status:
    user = request_user(request)
    thread = services.thread_create(
        actor=user,
        category_slug=payload.category,
        title=payload.title,
        body=payload.body,
        tags=payload.tags,
    )
    return Status(201, selectors.access_thread(user, thread.pk))


@router.get("/forum/threads/{thread_id}", response=ok(ThreadDetailOut), summary="One thread")
def thread_get(request: HttpRequest, thread_id: int) -> Thread:
    return selectors.access_thread(request_user(request), thread_id)


@router.get(
    "/forum/threads/{thread_id}/replies", response=ok(list[ReplyOut]), summary="A thread's replies"
)
@paginate(Page, page_size=30)
def replies_list(request: HttpRequest, thread_id: int):
    user = request_user(request)
    return selectors.replies_of(user, selectors.access_thread(user, thread_id))


@router.post("/forum/threads/{thread_id}/replies", response=ok(ReplyOut, 201), summary="Reply")
def reply_create(request: HttpRequest, thread_id: int, payload: ReplyIn) -> Status:
    return Status(
        201,
        services.reply_create(actor=request_user(request), thread_id=thread_id, body=payload.body),
    )


@router.post("/forum/threads/{thread_id}/vote", response=ok(VoteOut), summary="Vote on a thread")
def thread_vote(request: HttpRequest, thread_id: int, payload: VoteIn) -> dict[str, int]:
    score = services.vote_cast(
        actor=request_user(request), value=payload.value, thread_id=thread_id
    )
    return {"score": score}


@router.post("/forum/replies/{reply_id}/vote", response=ok(VoteOut), summary="Vote on a reply")
def reply_vote(request: HttpRequest, reply_id: int, payload: VoteIn) -> dict[str, int]:
    score = services.vote_cast(actor=request_user(request), value=payload.value, reply_id=reply_id)
    return {"score": score}


@router.post(
    "/forum/threads/{thread_id}/accept", response=ok(ThreadDetailOut), summary="Accept an answer"
)
def accept(request: HttpRequest, thread_id: int, payload: AcceptIn) -> Thread:
    user = request_user(request)
    services.answer_accept(actor=user, thread_id=thread_id, reply_id=payload.reply)
    return selectors.access_thread(user, thread_id)


@router.get("/forum/search", response=ok(list[ThreadOut]), summary="Search threads and replies")
@paginate(Page, page_size=25)
def search(request: HttpRequest, filters: Query[SearchFilters]):
    return selectors.thread_search(
        request_user(request),
        selectors.SearchFilters(
            q=filters.q, tag=filters.tag, category=filters.category, author=filters.author
        ),
    )


@router.post(
    "/forum/threads/{thread_id}/subscription", response=ok(StateOut), summary="(Un)subscribe"
)
def thread_subscribe(request: HttpRequest, thread_id: int, payload: SubscribeIn) -> dict[str, bool]:
    services.subscription_set(actor=request_user(request), on=payload.on, thread_id=thread_id)
    return {"ok": True}


@router.post(
    "/forum/categories/{slug}/subscription", response=ok(StateOut), summary="(Un)subscribe"
)
def category_subscribe(request: HttpRequest, slug: str, payload: SubscribeIn) -> dict[str, bool]:
    services.subscription_set(actor=request_user(request), on=payload.on, category_slug=slug)
    return {"ok": True}


@router.post("/forum/threads/{thread_id}/flag", response=ok(StateOut, 201), summary="Flag")
def thread_flag(request: HttpRequest, thread_id: int, payload: FlagIn) -> Status:
    services.flag_create(actor=request_user(request), reason=payload.reason, thread_id=thread_id)
    return Status(201, {"ok": True})


@router.post("/forum/replies/{reply_id}/flag", response=ok(StateOut, 201), summary="Flag a reply")
def reply_flag(request: HttpRequest, reply_id: int, payload: FlagIn) -> Status:
    services.flag_create(actor=request_user(request), reason=payload.reason, reply_id=reply_id)
    return Status(201, {"ok": True})
