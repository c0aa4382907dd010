"""The Redis cache backend (peerlearn.common.cache): Django's, reusing one client per pool, with a
one-round-trip counter. Needs Redis (REDIS_URL)."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from conftest import require
from peerlearn.common.cache import RedisCache


@pytest.fixture
def redis_cache() -> RedisCache:
    require(bool(settings.REDIS_URL), "Redis (REDIS_URL)")
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "peerlearn-test-cache"})
    cache.clear()
    return cache


def test_it_reuses_one_client(redis_cache: RedisCache) -> None:
    client = redis_cache._cache.get_client(write=True)

    assert redis_cache._cache.get_client(write=False) is client


def test_it_behaves_as_djangos_cache(redis_cache: RedisCache) -> None:
    redis_cache.set("k", {"a": [1, 2]}, 30)
    assert redis_cache.get("k") == {"a": [1, 2]}
    assert redis_cache.add("k", "other", 30) is False
    redis_cache.set("n", 1, 30)
    assert redis_cache.incr("n") == 2
    redis_cache.delete("k")
    assert redis_cache.get("k") is None


def test_hit_counts_in_a_window_that_expires(redis_cache: RedisCache) -> None:
    assert redis_cache.hit("h", window_seconds=1) == (1, 1)
    assert redis_cache.hit("h", window_seconds=1)[0] == 2
    time.sleep(1.1)

    assert redis_cache.hit("h", window_seconds=1)[0] == 1


def test_hit_keeps_the_windows_end(redis_cache: RedisCache) -> None:
    redis_cache.hit("e", window_seconds=60)
    _, seconds_left = redis_cache.hit("e", window_seconds=600)

    assert seconds_left <= 60  # a later hit does not extend the window
