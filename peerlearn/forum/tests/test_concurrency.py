"""Scores stay exact when many people vote at once: each voter on its own thread and database
connection (PostgreSQL; on SQLite writes are serialized anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from conftest import require
from peerlearn.common.testing import make_user
from peerlearn.forum import services
from peerlearn.forum.models import Thread, Vote

from .factories import make_thread

pytestmark = pytest.mark.django_db(transaction=True)
VOTERS = 16


def race(actions) -> list[BaseException]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(actions), timeout=60)
    errors: list[BaseException] = []

    def run(action) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            action()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_concurrent_votes_keep_the_score_exact() -> None:
    require(connection.vendor == "postgresql", "PostgreSQL")
    thread = make_thread()
    voters = [make_user() for _ in range(VOTERS)]
    errors = race(
        [
            (
                lambda u=u, i=i: services.vote_cast(
                    actor=u, value=1 if i % 4 else -1, thread_id=thread.pk
                )
            )
            for i, u in enumerate(voters)
        ]
    )
    assert errors == []
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
    errors = race([lambda: services.vote_cast(actor=voter, value=1, thread_id=thread.pk)] * 6)
    assert errors == []
    assert Vote.objects.filter(thread=thread).count() == 1
    assert Thread.objects.get(pk=thread.pk).score == 1
