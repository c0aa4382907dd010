"""The one NinjaAPI at /api/v1/: auth, error handlers, rate limit and a router per app.

OpenAPI document: /api/v1/openapi.json; interactive docs: /api/v1/docs. See docs/api.md.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI

from peerlearn.accounts.api import router as accounts_router
from peerlearn.analytics.api import router as analytics_router
from peerlearn.forum.api import router as forum_router
from peerlearn.gamification.api import router as gamification_router
from peerlearn.live.api import router as live_router
from peerlearn.matching.api import router as matching_router
from peerlearn.matching.help.api import router as help_router
from peerlearn.matching.partners.api import router as partners_router
from peerlearn.messaging.api import router as messaging_router
from peerlearn.notifications.api import router as notifications_router
from peerlearn.practice.api import router as practice_router
from peerlearn.reviews.api import router as reviews_router
from peerlearn.scheduling.api import router as scheduling_router

from .auth import API_AUTH
from .errors import error_body, install_error_handlers
from .ratelimit import ApiRateThrottle

DESCRIPTION = """\
PeerLearn's JSON API. Authenticate with a JWT access token from allauth's headless app
endpoints (`Authorization: Bearer <access token>`; obtain and refresh tokens under
`/_allauth/app/v1/`) or with the browser session (send `X-CSRFToken` on unsafe methods).

Every error has one shape: `{"error": {"code", "message", "fields"}}`; `code` is stable.
"""


class PeerLearnAPI(NinjaAPI):
    """A NinjaAPI whose URL-level refusals (an unknown path, a method a path does not have)
    use the same JSON error shape as everything else, and whose root says where the docs are."""

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        wrapped: list[URLResolver | URLPattern] = []
        for p in patterns:
            if isinstance(p, URLPattern) and p.name == "api-root":
                # ninja's root is an HTML 404; keep its name (ninja reverses it), answer in JSON.
                p = URLPattern(p.pattern, self._index, p.default_args, p.name)
            wrapped.append(self._with_json_405(p) if isinstance(p, URLPattern) else p)
        wrapped.append(re_path(r"^.*$", self._unknown_path, name="unknown-path"))
        return wrapped, app_name, namespace

    def _index(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in {"GET", "HEAD"}:
            return HttpResponseNotAllowed(["GET", "HEAD"])  # made JSON by _with_json_405
        root = request.path
        index = {
            "title": self.title,
            "version": self.version,
            "openapi": f"{root}{(self.openapi_url or '').lstrip('/')}",
            "docs": f"{root}{(self.docs_url or '').lstrip('/')}",
        }
        return self.create_response(request, index, status=200)

    def _unknown_path(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.create_response(
            request, error_body("not_found", "There is no such API endpoint."), status=404
        )

    def _with_json_405(self, pattern: URLPattern) -> URLPattern:
        view: Callable[..., HttpResponseBase] = pattern.callback
        if inspect.iscoroutinefunction(view):
            return pattern  # every operation here is synchronous; leave async ones alone

        @functools.wraps(view)
        def view_with_json_405(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            response = view(request, *args, **kwargs)
            if not isinstance(response, HttpResponseNotAllowed):
                return response
            body = error_body(
                "method_not_allowed", f"{request.method} is not allowed on this endpoint."
            )
            json_response = self.create_response(request, body, status=405)
            json_response["Allow"] = response["Allow"]
            return json_response

        return URLPattern(pattern.pattern, view_with_json_405, pattern.default_args, pattern.name)


api = PeerLearnAPI(
    title="PeerLearn API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=API_AUTH,
    throttle=[ApiRateThrottle()],
)
install_error_handlers(api)

api.add_router("/", accounts_router)
api.add_router("/", scheduling_router)
api.add_router("/", notifications_router)
api.add_router("/", live_router)
api.add_router("/", practice_router)
api.add_router("/", reviews_router)
api.add_router("/", gamification_router)
api.add_router("/", forum_router)
api.add_router("/", messaging_router)
api.add_router("/", matching_router)
api.add_router("/", help_router)
api.add_router("/", partners_router)
api.add_router("/", analytics_router)
