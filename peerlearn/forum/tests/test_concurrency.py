"""Scores stay exact when many people vote at once: each voter on its own thread and database
connection (PostgreSQL; on SQLite writes are serialized anyway)."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection

from conftest import require
from peerlearn.common.testing import make_user, race
from peerlearn.forum import services
from peerlearn.forum.models import Thread, Vote

from .factories import make_thread

pytestmark = pytest.mark.django_db(transaction=True)
VOTERS = 16


def test_concurrent_votes_keep_the_score_exact() -> None:
    require(connection.vendor == "postgresql", "PostgreSQL")
    thread = make_thread()
    voters = [make_user() for _ in range(VOTERS)]
    race(
        [
            partial(services.vote_cast, actor=u, value=1 if i % 4 else -1, thread_id=thread.pk)
            for i, u in enumerate(voters)
        ]
    )
    thread.refresh_from_db()
    expected = sum(1 if i % 4 else -1 for i in range(VOTERS))
    assert (
        thread.score
        == expected
        == sum(Vote.objects.filter(thread=thread).values_list("value", flat=True))
    )


def test_one_person_voting_twice_at_once_counts_once() -> None:
    require(connection.vendor == "postgresql", "PostgreSQL")
    thread = make_thread()
    voter = make_user()
    race([lambda: services.vote_cast(actor=voter, value=1, thread_id=thread.pk)] * 6)
    assert Vote.objects.filter(thread=thread).count() == 1
    assert Thread.objects.get(pk=thread.pk).score == 1
