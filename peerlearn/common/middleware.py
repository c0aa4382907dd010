"""Middleware of the whole site."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .errors import Forbidden, NotFound, ServiceError
from .web import is_htmx, safe_referer

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


class ServiceErrorMiddleware:
    """The one place an HTML view's uncaught ``ServiceError`` becomes a response.

    ``NotFound`` → the site's 404 page and ``Forbidden`` → its 403 page (raised on as ``Http404``
    and ``PermissionDenied``, so Django's handlers, logging and debug pages apply); anything else
    (``Conflict``, ``Invalid``, ``RateLimited``) → a page with the service's message and its
    status. A view that shows the refusal on its own page (a form's error, a flash message)
    catches ``REFUSALS`` itself; this is for the rest. The API answers its own errors
    (``peerlearn.api.errors``), so none reach here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, ServiceError):
            return None
        if isinstance(exc, NotFound):
            raise Http404(exc.message) from exc
        if isinstance(exc, Forbidden):
            raise PermissionDenied(exc.message) from exc
        if is_htmx(request):
            # A swap expects a fragment, not a page: the message alone (HTMX does not swap an
            # error response by default, so the page stays as it was).
            return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
        headings = {409: "That clashes with something", 429: "Too many attempts"}
        context = {
            "heading": headings.get(exc.status, "That can't be done"),
            "message": exc.message,
            "back": safe_referer(request, "/"),
        }
        return render(request, "common/refused.html", context, status=exc.status)
