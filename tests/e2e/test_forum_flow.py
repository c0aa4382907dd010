"""Two people in two Chromium browsers: A starts a thread; B opens it and sees A's later reply
arrive live; B replies; A sees that reply live and accepts it; B sees the accepted mark live."""

from __future__ import annotations

from typing import Any

import pytest

from peerlearn.common.testing import make_user
from peerlearn.forum.models import Category, Thread

from .live_helpers import media_browsers, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_browsers(live_url: str):
    yield from media_browsers()


def test_two_people_discuss_live(live_url: str, two_browsers: Any, screenshot: Any) -> None:
    Category.objects.create(
        slug="algorithms", name="Algorithms", kind="area", description="Graphs, DP, sorting"
    )
    asker, helper = make_user(display_name="Ada Asker"), make_user(display_name="Ben Helper")
    pages = []
    for user in (asker, helper):
        context = two_browsers().new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        sign_in(context, live_url, user)
        pages.append(context.new_page())
    a, b = pages

    # B is reading the (empty) category: A's new thread will appear there live.
    b.goto(f"{live_url}/discussions/c/algorithms/")
    b.wait_for_selector("[data-live-category][data-live='1']")

    a.goto(f"{live_url}/discussions/new/?category=algorithms")
    a.fill("#id_title", "Why is my recursive Fibonacci so slow?")
    a.fill(
        "#id_body",
        "It hangs for n = 40:\n\n```python\ndef fib(n):\n"
        "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n```",
    )
    a.fill("#id_tags", "python recursion")
    a.click("[data-md-tab=preview]")
    a.wait_for_selector("[data-md-preview] .hl-k, [data-md-preview] pre")
    screenshot(a, "forum-new-thread-preview")
    a.click("button:has-text('Post thread')")
    a.wait_for_selector("[data-thread][data-live='1']")
    thread = Thread.objects.get()

    b.wait_for_selector("text=Why is my recursive Fibonacci so slow?")  # no reload
    b.wait_for_selector("text=A new thread was just started.")
    screenshot(b, "forum-category")
    b.click("text=Why is my recursive Fibonacci so slow?")
    b.wait_for_selector("[data-thread][data-live='1']")

    a.fill("#reply-form textarea", "Update: it is fine for n = 20.")
    a.click("button:has-text('Post reply')")
    b.wait_for_selector("text=Update: it is fine for n = 20.")

    b.fill("#reply-form textarea", "Each call makes two more: memoize with `functools.cache`.")
    b.click("button:has-text('Post reply')")
    reply = thread.replies.get(author=helper)
    a.wait_for_selector(f"#reply-{reply.pk}")
    a.click(f"#reply-{reply.pk} .btn-accept")
    b.wait_for_selector(f"#reply-{reply.pk} [data-accepted-mark]:not([hidden])")
    a.wait_for_selector(f"#reply-{reply.pk}.is-accepted")
    screenshot(a, "forum-thread-author")
    screenshot(b, "forum-thread-helper")
    thread.refresh_from_db()
    assert thread.accepted_reply_id == reply.pk
