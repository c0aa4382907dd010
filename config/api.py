"""The one NinjaAPI at /api/v1/: auth, error handlers, rate limit and a router per app.

OpenAPI document: /api/v1/openapi.json; reference: /api/v1/docs; Swagger UI: /api/v1/docs/try.
See docs/api.md.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi import schema as ninja_openapi
from ninja.openapi.schema import OpenAPISchema
from ninja.schema import NinjaGenerateJsonSchema
from pydantic.json_schema import CoreModeRef, CoreRef, DefsRef

from peerlearn.analytics.api import router as analytics_router
from peerlearn.api.accounts import router as accounts_router
from peerlearn.api.auth import API_AUTH
from peerlearn.api.errors import ERROR_STATUSES, ErrorOut, error_body, install_error_handlers
from peerlearn.api.ratelimit import ApiRateThrottle
from peerlearn.api.strict import install as install_strict_bodies
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

DESCRIPTION = """\
PeerLearn's JSON API. Authenticate with a JWT access token from allauth's headless app
endpoints (`Authorization: Bearer <access token>`; obtain and refresh tokens under
`/_allauth/app/v1/`) or with the browser session (send `X-CSRFToken` on unsafe methods).

Every error has one shape: `{"error": {"code", "message", "fields"}}`; `code` is stable.
"""


class NestedNamesJsonSchema(NinjaGenerateJsonSchema):
    """Names a nested class's component after its whole qualified name: ``Subject.Kind`` is
    ``SubjectKind`` and ``Booking.Status`` is ``BookingStatus``, not ``Kind`` and ``Status``
    (pydantic's first choice is the bare class name, and ninja merges every operation's
    components into one namespace, so each model's ``Kind`` overwrote the others)."""

    def get_defs_ref(self, core_mode_ref: CoreModeRef) -> DefsRef:
        core_ref, mode = core_mode_ref
        if not any(c in core_ref for c in "[],"):  # leave generic models' names alone
            dotted, colon, type_id = core_ref.rpartition(":")
            parts = dotted.split(".")
            first_class = len(parts) - 1
            while first_class > 0 and parts[first_class - 1][:1].isupper():
                first_class -= 1
            joined = [*parts[:first_class], "".join(parts[first_class:])]
            core_ref = CoreRef(".".join(joined) + colon + type_id)
        return super().get_defs_ref((core_ref, mode))


# ninja's document builder takes its JSON schema generator from its module.
ninja_openapi.NinjaGenerateJsonSchema = NestedNamesJsonSchema  # type: ignore[misc]


class StrictComponentsSchema(OpenAPISchema):
    """ninja's OpenAPI document, refusing to give one component name two meanings (ninja keeps
    the last definition of a name, so every ``Kind`` enum of every model became one ``Kind``),
    and describing the error responses every operation can give."""

    def add_schema_definitions(self, definitions: dict[str, Any]) -> None:
        for name, definition in definitions.items():
            known = self.schemas.get(name)
            if known is not None and known != definition:
                raise ImproperlyConfigured(
                    f"Two API schemas are both named {name!r}; rename one of them."
                )
        super().add_schema_definitions(definitions)

    def get_components(self) -> dict[str, Any]:
        self.add_schema_definitions(_error_components())
        return super().get_components()

    def get_paths(self) -> dict[str, Any]:
        paths = super().get_paths()
        error = {"content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}
        for operations in paths.values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses.setdefault(status, {"description": description, **error})
        return paths


ERROR_REF = "#/components/schemas/ErrorOut"


def _error_components() -> dict[str, Any]:
    schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    return {**schema.pop("$defs"), "ErrorOut": schema}


class PeerLearnAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        """ninja's ``<module>_<function>``, except that accounts' router, which lives in the API
        layer (``peerlearn/api/accounts.py``, so that accounts stays below the API kit), keeps the
        ids its operations have always had (``peerlearn_accounts_api_...``)."""
        operation_id = super().get_openapi_operation_id(operation)
        return operation_id.replace("peerlearn_api_accounts_", "peerlearn_accounts_api_", 1)

    """A NinjaAPI whose URL-level refusals (an unknown path, a method a path does not have)
    use the same JSON error shape as everything else, whose root says where the docs are, and
    whose OpenAPI document is built once per process (building it takes about a second)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._documents: dict[str, OpenAPISchema] = {}
        self._documents_lock = threading.Lock()

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        with self._documents_lock:
            if path_prefix not in self._documents:
                self._documents[path_prefix] = StrictComponentsSchema(self, path_prefix)
            return self._documents[path_prefix]

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        wrapped: list[URLResolver | URLPattern] = []
        for p in patterns:
            if isinstance(p, URLPattern) and p.name == "api-root":
                # ninja's root is an HTML 404; keep its name (ninja reverses it), answer in JSON.
                p = URLPattern(p.pattern, self._index, p.default_args, p.name)
            wrapped.append(self._with_json_405(p) if isinstance(p, URLPattern) else p)
        # [\s\S], not ".": a path parameter may hold a newline (%0A), which "." would let fall
        # through to the site's HTML 404.
        wrapped.append(re_path(r"^[\s\S]*$", self._unknown_path, name="unknown-path"))
        return wrapped, app_name, namespace

    @csrf_exempt
    def _index(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in {"GET", "HEAD"}:
            return HttpResponseNotAllowed(["GET", "HEAD"])  # made JSON by _with_json_405
        root = request.path
        index = {
            "title": self.title,
            "version": self.version,
            "openapi": f"{root}{(self.openapi_url or '').lstrip('/')}",
            "docs": f"{root}docs",  # the reference page (config/apireference.py)
            "console": f"{root}{(self.docs_url or '').lstrip('/')}",
        }
        return self.create_response(request, index, status=200)

    @csrf_exempt
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
    docs_url="/docs/try",  # Swagger UI; /docs is the reference (config/apireference.py)
    auth=API_AUTH,
    throttle=[ApiRateThrottle()],
)
install_error_handlers(api)
install_strict_bodies()

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
