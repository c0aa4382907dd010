"""A fixed-window rate limit on the cache, for services that can be abused (guessing a
practice session's password, flooding the judge). The API has its own per-caller throttle."""

from __future__ import annotations

from django.core.cache import cache

from .errors import ServiceError


class RateLimited(ServiceError):
    status = 429
    default_code = "rate_limited"


def hit(key: str, *, window_seconds: int) -> int:
    """Count one attempt under ``key`` and return the count in the current window."""
    cache_key = f"ratelimit:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        return 1


def check(key: str, *, limit: int, window_seconds: int, message: str) -> None:
    """Count one attempt; raise ``RateLimited`` once more than ``limit`` were made."""
    if hit(key, window_seconds=window_seconds) > limit:
        raise RateLimited(message)


def clear(key: str) -> None:
    cache.delete(f"ratelimit:{key}")
