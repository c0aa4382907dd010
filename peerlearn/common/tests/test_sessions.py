"""Sessions on Redis written through to the database (peerlearn.common.sessions): with Redis
away a session is still read, and a key is still checked, from the database."""

from __future__ import annotations

import socket

import pytest

from peerlearn.common.cache import RedisCache
from peerlearn.common.sessions import SessionStore

pytestmark = pytest.mark.django_db


def unreachable_cache() -> RedisCache:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the socket closes
    return RedisCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})


def test_a_session_is_read_from_the_database_while_redis_is_away() -> None:
    saved = SessionStore()
    saved["who"] = "ann"
    saved.save()  # Django logs (and survives) a failing cache write; here the cache may work

    reader = SessionStore(session_key=saved.session_key)
    reader._cache = unreachable_cache()

    assert reader["who"] == "ann"
    assert reader.exists(saved.session_key)
    assert not reader.exists("no-such-session-key-000000000000")


def test_a_missing_session_is_empty_while_redis_is_away() -> None:
    reader = SessionStore(session_key="no-such-session-key-000000000000")
    reader._cache = unreachable_cache()

    assert reader.get("who") is None
