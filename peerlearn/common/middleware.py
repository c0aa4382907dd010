"""Middleware of the whole site."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEALTH_PATH = "/healthz"
HEALTH_BODY = b'{"ok": true}'


class HealthCheckMiddleware:
    """``GET /healthz`` → ``{"ok": true}``: the process is up and serving requests.

    First in MIDDLEWARE, so a load balancer's probe is answered before anything that would refuse
    or redirect it (it calls by address over plain HTTP: ALLOWED_HOSTS, the HTTPS redirect) and
    without a session, a user or a query: liveness only. Whether the process can reach its
    database and Redis is readiness, a separate endpoint.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            response = HttpResponse(HEALTH_BODY, content_type="application/json")
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
