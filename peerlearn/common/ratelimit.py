"""A fixed-window rate limit on the cache, for services that can be abused (guessing a
practice session's password, flooding the judge) and for the API's per-caller throttle.

A window starts with a key's first hit and lasts ``window_seconds``. On Redis a hit is one round
trip (``peerlearn.common.cache.RedisCache.hit``); on other caches, an add or an increment.
"""

from __future__ import annotations

from django.core.cache import cache

from .errors import RateLimited

__all__ = ["RateLimited", "check", "clear", "hit", "hit_window"]


def hit_window(key: str, *, window_seconds: int) -> tuple[int, int]:
    """Count one attempt under ``key``: the count in the current window, and the seconds until
    the window ends (an upper bound on caches that cannot tell)."""
    cache_key = f"ratelimit:{key}"
    counter = getattr(cache, "hit", None)
    if counter is not None:
        count, seconds_left = counter(cache_key, window_seconds=window_seconds)
        return count, seconds_left
    try:
        return cache.incr(cache_key), window_seconds
    except ValueError:  # no window yet (or it just ended)
        pass
    if cache.add(cache_key, 1, timeout=window_seconds):
        return 1, window_seconds
    try:
        return cache.incr(cache_key), window_seconds
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        return 1, window_seconds


def hit(key: str, *, window_seconds: int) -> int:
    """Count one attempt under ``key`` and return the count in the current window."""
    return hit_window(key, window_seconds=window_seconds)[0]


def check(key: str, *, limit: int, window_seconds: int, message: str) -> None:
    """Count one attempt; raise ``RateLimited`` once more than ``limit`` were made."""
    if hit(key, window_seconds=window_seconds) > limit:
        raise RateLimited(message)


def clear(key: str) -> None:
    cache.delete(f"ratelimit:{key}")
