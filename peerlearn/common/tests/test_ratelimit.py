"""The fixed-window counter behind the service rate limits and the API throttle, on whichever
cache is configured (Redis in CI and production, the local-memory cache otherwise)."""

from __future__ import annotations

import pytest

from peerlearn.common import ratelimit


def test_hits_are_counted_per_key_within_the_window() -> None:
    assert [ratelimit.hit("a", window_seconds=60) for _ in range(3)] == [1, 2, 3]
    assert ratelimit.hit("b", window_seconds=60) == 1


def test_the_window_reports_when_it_ends() -> None:
    count, seconds_left = ratelimit.hit_window("w", window_seconds=60)

    assert count == 1
    assert 0 < seconds_left <= 60


def test_check_refuses_past_the_limit_and_clear_starts_over() -> None:
    for _ in range(2):
        ratelimit.check("c", limit=2, window_seconds=60, message="Slow down.")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.check("c", limit=2, window_seconds=60, message="Slow down.")

    ratelimit.clear("c")
    ratelimit.check("c", limit=2, window_seconds=60, message="Slow down.")
