"""Forum points: an accepted answer and each person's upvote earn the post's author points,
each once (no farming by withdrawing and recasting, nor by accepting twice)."""

from __future__ import annotations

from typing import Any

import pytest

from peerlearn.common.testing import make_user
from peerlearn.forum import services as forum
from peerlearn.forum.tests.factories import make_thread
from peerlearn.gamification.models import PointAward

pytestmark = pytest.mark.django_db


def points_of(user: Any) -> list[tuple[str, int]]:
    return sorted(PointAward.objects.filter(user=user).values_list("cause", "points"))


def test_an_accepted_answer_earns_its_author_points_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    thread = make_thread()
    helper = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        reply = forum.reply_create(actor=helper, thread_id=thread.pk, body="Try a heap.")
        forum.answer_accept(actor=thread.author, thread_id=thread.pk, reply_id=reply.pk)
        forum.answer_accept(actor=thread.author, thread_id=thread.pk, reply_id=None)
        forum.answer_accept(actor=thread.author, thread_id=thread.pk, reply_id=reply.pk)

    assert points_of(helper) == [("forum_answer_accepted", 15)]


def test_accepting_ones_own_reply_earns_nothing(django_capture_on_commit_callbacks: Any) -> None:
    thread = make_thread()
    with django_capture_on_commit_callbacks(execute=True):
        reply = forum.reply_create(actor=thread.author, thread_id=thread.pk, body="Solved it.")
        forum.answer_accept(actor=thread.author, thread_id=thread.pk, reply_id=reply.pk)

    assert points_of(thread.author) == []


def test_each_upvote_earns_once_however_often_it_is_recast(
    django_capture_on_commit_callbacks: Any,
) -> None:
    thread = make_thread()
    fan, other = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=True):
        forum.vote_cast(actor=fan, value=1, thread_id=thread.pk)
        forum.vote_cast(actor=fan, value=0, thread_id=thread.pk)
        forum.vote_cast(actor=fan, value=1, thread_id=thread.pk)
        forum.vote_cast(actor=fan, value=-1, thread_id=thread.pk)
        forum.vote_cast(actor=fan, value=1, thread_id=thread.pk)
        forum.vote_cast(actor=other, value=1, thread_id=thread.pk)

    assert points_of(thread.author) == [("forum_upvote_received", 2)] * 2


def test_a_downvote_earns_nothing_and_replies_earn_too(
    django_capture_on_commit_callbacks: Any,
) -> None:
    thread = make_thread()
    helper, voter = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=True):
        reply = forum.reply_create(actor=helper, thread_id=thread.pk, body="An answer.")
        forum.vote_cast(actor=voter, value=-1, thread_id=thread.pk)
        forum.vote_cast(actor=voter, value=1, reply_id=reply.pk)

    assert points_of(thread.author) == []
    assert points_of(helper) == [("forum_upvote_received", 2)]


def test_the_points_page_no_longer_calls_forum_points_soon() -> None:
    from django.test import Client

    client = Client()
    client.force_login(make_user())
    page = client.get("/leaderboard/me/").content.decode()

    assert "Answer accepted in the forum" in page
    assert "soon-tag" not in page
