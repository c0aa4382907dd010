from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peerlearn.common.testing import make_moderator, make_user
from peerlearn.forum import services
from peerlearn.forum.models import Thread

from .factories import make_category, make_private, make_thread

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_non_member_cannot_read_a_members_only_category_by_web_or_api() -> None:
    private = make_private()
    member = make_user(institution=private.institution)
    thread = make_thread(member, private, title="Secret exam notes")
    reply = services.reply_create(actor=member, thread_id=thread.pk, body="inside")
    outsider = client_for(make_user())
    for url in [
        reverse("forum:category", args=[private.slug]),
        reverse("forum:thread", args=[thread.pk]),
        reverse("forum:reply_fragment", args=[reply.pk]),
        reverse("forum:thread_history", args=[thread.pk]),
        f"/api/v1/forum/threads/{thread.pk}",
        f"/api/v1/forum/threads/{thread.pk}/replies",
        f"/api/v1/forum/threads?category={private.slug}",
    ]:
        assert outsider.get(url).status_code == 404, url
    for url in [
        reverse("forum:index"),
        reverse("forum:search") + "?q=secret",
        "/api/v1/forum/categories",
        "/api/v1/forum/search?q=secret",
        "/api/v1/forum/threads",
    ]:
        assert (
            b"Secret exam" not in outsider.get(url).content
            and private.slug.encode() not in outsider.get(url).content
        ), url
    response = outsider.post(
        f"/api/v1/forum/threads/{thread.pk}/replies",
        {"body": "hi"},
        content_type="application/json",
    )
    assert response.status_code == 404
    member_client = client_for(member)
    assert member_client.get(reverse("forum:thread", args=[thread.pk])).status_code == 200
    assert b"Secret exam" in member_client.get("/api/v1/forum/search?q=secret").content


def test_the_web_flow_posts_replies_quotes_votes_and_accepts() -> None:
    category = make_category()
    asker, helper = make_user(display_name="Asker"), make_user(display_name="Helper")
    a, b = client_for(asker), client_for(helper)
    response = a.post(
        reverse("forum:thread_new"),
        {
            "category": category.slug,
            "title": "Stuck on loops",
            "body": "**help**",
            "tags": "python",
        },
    )
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "forum:thread", args=[thread.pk]
    )
    response = b.post(reverse("forum:reply", args=[thread.pk]), {"body": "Try `range`"})
    assert response.status_code == 302
    reply = thread.replies.get()
    page = a.get(reverse("forum:thread", args=[thread.pk]) + f"?quote={reply.pk}")
    assert b"&gt; **Helper** wrote:" in page.content
    vote = a.post(
        reverse("forum:reply_vote", args=[reply.pk]), {"value": "1"}, HTTP_ACCEPT="application/json"
    )
    assert json.loads(vote.content) == {"score": 1, "value": 1}
    own = b.post(
        reverse("forum:reply_vote", args=[reply.pk]), {"value": "1"}, HTTP_ACCEPT="application/json"
    )
    assert own.status_code == 403
    assert b.post(reverse("forum:accept", args=[thread.pk]), {"reply": reply.pk}).status_code == 302
    thread.refresh_from_db()
    assert thread.accepted_reply_id is None
    a.post(reverse("forum:accept", args=[thread.pk]), {"reply": reply.pk})
    thread.refresh_from_db()
    assert thread.accepted_reply_id == reply.pk
    page = b.get(reverse("forum:thread", args=[thread.pk]))
    assert b"is-accepted" in page.content
    preview = a.post(reverse("forum:preview"), {"body": "```python\nx = 1\n```"})
    assert b"hl-" in preview.content


def test_the_api_creates_lists_replies_votes_and_accepts() -> None:
    category = make_category()
    asker, helper = make_user(), make_user()
    a, b = client_for(asker), client_for(helper)
    created = a.post(
        "/api/v1/forum/threads",
        {"category": category.slug, "title": "API question", "body": "body", "tags": ["api"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    tid = created.json()["id"]
    reply = b.post(
        f"/api/v1/forum/threads/{tid}/replies", {"body": "answer"}, content_type="application/json"
    )
    assert reply.status_code == 201
    rid = reply.json()["id"]
    assert a.post(
        f"/api/v1/forum/replies/{rid}/vote", {"value": 1}, content_type="application/json"
    ).json() == {"score": 1}
    accepted = a.post(
        f"/api/v1/forum/threads/{tid}/accept", {"reply": rid}, content_type="application/json"
    )
    assert accepted.json()["accepted_reply"] == rid
    listing = b.get(f"/api/v1/forum/threads?category={category.slug}&sort=votes").json()
    assert listing["count"] == 1 and listing["items"][0]["tags"] == ["api"]
    assert b.get(f"/api/v1/forum/threads/{tid}/replies").json()["items"][0]["id"] == rid
    assert (
        b.post(
            f"/api/v1/forum/threads/{tid}/subscription",
            {"on": True},
            content_type="application/json",
        ).status_code
        == 200
    )
    assert (
        b.post(
            f"/api/v1/forum/threads/{tid}/flag", {"reason": "spam"}, content_type="application/json"
        ).status_code
        == 201
    )
    assert (
        b.post(
            f"/api/v1/forum/threads/{tid}/flag", {"reason": "spam"}, content_type="application/json"
        ).status_code
        == 409
    )


def test_moderators_see_the_queue_and_authors_see_the_reason() -> None:
    thread = make_thread(title="Buy my course now")
    services.flag_create(actor=make_user(), reason="spam", thread_id=thread.pk)
    mod = client_for(make_moderator())
    assert b"Buy my course" in mod.get(reverse("forum:moderation")).content
    assert client_for(make_user()).get(reverse("forum:moderation")).status_code == 403
    mod.post(
        reverse("forum:thread_moderate", args=[thread.pk]),
        {"action": "hide", "reason": "Advertising is not allowed"},
    )
    page = client_for(thread.author).get(reverse("forum:thread", args=[thread.pk]))
    assert b"Advertising is not allowed" in page.content
    assert client_for(make_user()).get(reverse("forum:thread", args=[thread.pk])).status_code == 404


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["category", "thread", "search", "index"])
def test_queries_per_page_do_not_grow_with_the_data(page: str, settings) -> None:
    settings.FORUM_REPLY_LIMIT = 10_000
    category = make_category()
    author, reader = make_user(), make_user()
    thread = make_thread(author, category, tags="a b")
    client = client_for(reader)

    def add(n: int) -> None:
        for i in range(n):
            t = Thread.objects.create(
                category=category,
                author=make_user() if i % 3 == 0 else author,
                title=f"Thread {i}",
                body="x",
                html="<p>x</p>",
            )
            t.tags.set(thread.tags.all())
            services.reply_create(
                actor=make_user() if i % 2 else author, thread_id=thread.pk, body=f"reply {i}"
            )

    urls = {
        "category": reverse("forum:category", args=[category.slug]),
        "thread": reverse("forum:thread", args=[thread.pk]),
        "search": reverse("forum:search") + "?q=thread",
        "index": reverse("forum:index"),
    }
    add(10)
    small = _count(client, urls[page])
    add(90)
    assert _count(client, urls[page]) <= small


def test_api_thread_items_are_exactly_their_schema() -> None:
    from django.test import RequestFactory

    from peerlearn.api.testing import as_schema_writes
    from peerlearn.forum import selectors
    from peerlearn.forum.api import ThreadOut

    category = make_category()
    reader = make_user()
    first = make_thread(make_user(), category, title="Tagged", tags="python exam")
    make_thread(make_user(), category, title="Untagged")
    services.vote_cast(actor=reader, value=1, thread_id=first.pk)
    expected = as_schema_writes(
        ThreadOut, selectors.thread_list(reader, category=category), RequestFactory().get("/")
    )

    body = client_for(reader).get(f"/api/v1/forum/threads?category={category.slug}").json()

    assert body == {"items": expected, "count": 2}


def test_api_thread_list_queries_do_not_grow_with_the_page() -> None:
    category = make_category()
    for n in range(6):
        make_thread(make_user(), category, title=f"Thread {n}", tags=f"t{n} common")
    client = client_for(make_user())
    url = f"/api/v1/forum/threads?category={category.slug}"

    assert _count(client, f"{url}&page_size=2") == _count(client, url)


def test_counts_of_one_read_in_the_singular() -> None:
    thread = make_thread(title="One vote and one reply")
    Thread.objects.filter(pk=thread.pk).update(score=1)
    services.reply_create(actor=make_user(), thread_id=thread.pk, body="the reply")
    client = Client()

    listing = client.get(reverse("forum:category", args=[thread.category.slug])).content.decode()
    page = client.get(reverse("forum:thread", args=[thread.pk])).content.decode()

    assert "<span>vote</span>" in listing and "1 vote, 1 reply" in listing
    assert "1 votes" not in listing and "<span>votes</span>" not in listing
    assert '<span class="small muted">vote</span>' in page
