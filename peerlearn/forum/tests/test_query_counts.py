"""The forum lists not covered in test_views_api (the moderators' flag queue; the API's
categories, threads, search and a thread's replies) cost the same number of queries with a few
rows and with fifty more."""

from __future__ import annotations

import pytest
from django.urls import reverse

from peerlearn.common.testing import make_moderator, make_user
from peerlearn.common.tests.querycounts import MANY, assert_flat, logged_in
from peerlearn.forum import services

from .factories import make_category, make_thread

pytestmark = pytest.mark.django_db


def test_the_forum_lists_do_not_grow_with_the_rows(settings) -> None:
    settings.FORUM_REPLY_LIMIT = 10_000
    category = make_category()
    main = make_thread(make_user(), category, title="Main thread", tags="python")
    reader, moderator = make_user(), make_moderator()

    def add(n: int) -> None:
        for i in range(n):
            make_category()
            thread = make_thread(make_user(), category, title=f"Thread {i}", tags=f"t{i} python")
            services.flag_create(actor=make_user(), reason="spam", thread_id=thread.pk)
            services.reply_create(actor=make_user(), thread_id=main.pk, body=f"Reply {i}")
            services.vote_cast(actor=make_user(), value=1, thread_id=thread.pk)

    add(3)
    reading, moderating = logged_in(reader), logged_in(moderator)
    api = "/api/v1/forum"
    pages = [
        (moderating, reverse("forum:moderation")),
        (reading, f"{api}/categories"),
        (reading, f"{api}/threads?category={category.slug}"),
        (reading, f"{api}/threads?category={category.slug}&tag=python"),
        (reading, f"{api}/search?q=thread"),
        (reading, f"{api}/threads/{main.pk}"),
        (reading, f"{api}/threads/{main.pk}/replies"),
    ]

    assert_flat(pages, lambda: add(MANY))
