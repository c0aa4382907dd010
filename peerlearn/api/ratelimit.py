"""API rate limit: ``settings.API_RATE_LIMIT_PER_MINUTE`` requests a minute per caller.

A signed-in caller is counted by account (whichever token or session they use); an anonymous
caller by client address. Sign-in itself is rate limited by allauth (``ACCOUNT_RATE_LIMITS``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle


class ApiRateThrottle(SimpleRateThrottle):
    scope = "api"

    def __init__(self) -> None:
        # The real rate is read from settings on each request (so it can change without a
        # restart of the module, e.g. in tests); this only satisfies the base class.
        super().__init__(rate="1/m")

    def allow_request(self, request: HttpRequest) -> bool:
        limit = int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 600))
        if limit <= 0:
            return True
        self.num_requests, self.duration = limit, 60
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"user-{user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request: HttpRequest) -> str | None:
        # X-Forwarded-For is only trusted when the number of proxies in front is configured;
        # otherwise anyone could pick a fresh address per request.
        if getattr(settings, "NINJA_NUM_PROXIES", None) is None:
            return request.META.get("REMOTE_ADDR")
        return super().get_ident(request)
