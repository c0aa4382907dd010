"""Settings of practice-partner matching, with their defaults (``config/settings.py`` may set
any of them; read at call time so tests can override them)."""

from __future__ import annotations

from django.conf import settings

DEFAULTS: dict[str, float] = {
    # Elo K-factor: the most one judged Submit can move a topic rating.
    "PRACTICE_RATING_K": 32,
    # The rating window: ±BASE at first, +STEP every STEP_SECONDS of waiting, at most ±MAX.
    "PARTNERS_WINDOW_BASE": 100,
    "PARTNERS_WINDOW_STEP": 50,
    "PARTNERS_WINDOW_STEP_SECONDS": 15,
    "PARTNERS_WINDOW_MAX": 400,
    # A queue entry nobody matched expires after this long.
    "PARTNERS_QUEUE_TTL_SECONDS": 10 * 60,
    # The expected wait is the median of this many recent waits (same topic and difficulty).
    "PARTNERS_RECENT_WAITS": 20,
}


def get(name: str) -> float:
    return float(getattr(settings, name, DEFAULTS[name]))
