"""API rate limit: ``settings.API_RATE_LIMIT_PER_MINUTE`` requests a minute per caller.

A signed-in caller is counted by account (whichever token or session they use); an anonymous
caller by client address. Sign-in itself is rate limited by allauth (``ACCOUNT_RATE_LIMITS``).
0 turns the limit off; benchmarks raise it out of their way instead (docs/performance.md), so the
counting still runs.

A fixed window per caller (``peerlearn.common.ratelimit``): one Redis round trip a request. (ninja's
``SimpleRateThrottle`` read and rewrote a list of every request time in the window, twice a
request, and kept the request's state on the one throttle object every thread shares.)
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from peerlearn.common.ratelimit import hit_window

WINDOW_SECONDS = 60


class ApiRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._refused = threading.local()  # the wait of this thread's refused request

    def allow_request(self, request: HttpRequest) -> bool:
        # Read on each request, so tests (and benchmarks) can change it without a restart.
        limit = int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 600))
        if limit <= 0:
            return True
        count, seconds_left = hit_window(self.key(request), window_seconds=WINDOW_SECONDS)
        self._refused.wait = seconds_left
        return count <= limit

    def wait(self) -> float | None:
        return getattr(self._refused, "wait", None)

    def key(self, request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"api:user-{user.pk}"
        return f"api:addr-{self.get_ident(request)}"

    def get_ident(self, request: HttpRequest) -> str | None:
        # X-Forwarded-For is only trusted when the number of proxies in front is configured;
        # otherwise anyone could pick a fresh address per request.
        if getattr(settings, "NINJA_NUM_PROXIES", None) is None:
            return request.META.get("REMOTE_ADDR")
        return super().get_ident(request)
