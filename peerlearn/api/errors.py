"""One JSON error shape for the whole API:

    {"error": {"code": "<stable_code>", "message": "<for people>", "fields": {"<field>": ["..."]}}}

``code`` is what clients switch on; it never changes for a given failure. ``message`` is for
people and may be reworded. ``fields`` names the inputs at fault (dotted for nested input, e.g.
``windows.2.end_time``) and is empty when the failure is not about one input.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from peerlearn.common.errors import ServiceError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

# Every code the API itself produces (services add their own, listed in docs/api.md).
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}

# The error statuses any operation may answer with, described in the OpenAPI document of each.
ERROR_STATUSES: dict[int, str] = {
    400: "The request cannot be parsed",
    401: "Not authenticated, or the bearer token was refused",
    403: "Not allowed (or the CSRF check failed)",
    404: "No such object, or one the caller may not see",
    409: "Clashes with the current state",
    422: "Some input is not valid; `fields` names it",
    429: "Rate limited; see Retry-After",
    500: "A bug on our side (logged)",
}

# Where ninja says an input came from; the first element of a validation error's ``loc``.
_PARAM_SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}
# Every operation names its JSON body parameter this, so it can be left out of field names.
BODY_PARAM = "payload"


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    """The body of every error response."""

    error: ErrorDetail


# Merge into an operation's ``response=`` so the OpenAPI document describes error bodies too.
ERROR_RESPONSES: dict[Any, type[Schema]] = {frozenset(ERROR_STATUSES): ErrorOut}


class InvalidToken(AuthenticationError):
    """A bearer token was presented and refused (expired, forged, revoked): refresh, then retry."""

    code = "token_invalid"

    def __init__(self, message: str = "The access token is invalid or has expired.") -> None:
        super().__init__(401, message)


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "payload", "windows", 0, "end_time")`` → ``"windows.0.end_time"``.

    The parameter source and the name of the body parameter say where ninja found an input,
    not what the client sent, so both are dropped. ``__all__`` means the input as a whole."""
    parts = list(loc)
    if parts and parts[0] in _PARAM_SOURCES:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == BODY_PARAM:
            parts.pop(0)
    return ".".join(str(p) for p in parts) or "__all__"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        name = field_name(error.get("loc", ()))
        fields.setdefault(name, []).append(str(error.get("msg", "Invalid value.")))
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    """Register handlers so that no failure leaves the API in any other shape."""

    def respond(
        request: HttpRequest,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
    ) -> HttpResponse:
        return api.create_response(request, error_body(code, message, fields), status=status)

    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = validation_fields(exc.errors)
        return respond(request, 422, "invalid", "Some input is not valid.", fields)

    def on_django_validation_error(
        request: HttpRequest, exc: DjangoValidationError
    ) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            fields = {name: [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
        else:
            fields = {"__all__": [str(m) for m in exc.messages]}
        return respond(request, 422, "invalid", "Some input is not valid.", fields)

    def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        status = exc.status
        # A plain rule failure about a named input is invalid input, like a schema failure.
        if status == 400 and exc.field:
            status = 422
        fields = {exc.field: [exc.message]} if exc.field else {}
        return respond(request, status, exc.code, exc.message, fields)

    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        code = getattr(exc, "code", STATUS_CODES[401])
        message = exc.message if code != STATUS_CODES[401] else "Authentication required."
        response = respond(request, 401, code, message)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        # ninja adds Retry-After to the response returned here.
        return respond(request, 429, "rate_limited", "Too many requests; slow down.")

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = STATUS_CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, code, str(exc))

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, 404, "not_found", "Not found.")

    def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, 403, "forbidden", "You are not allowed to do that.")

    def on_suspicious(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.warning("Refused a suspicious API request: %s", exc)
        return respond(request, 400, "bad_request", "The request could not be processed.")

    def on_unparsable_body(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A multipart body without its boundary (or a broken one): the client's fault.
        return respond(request, 400, "bad_request", "The request body cannot be parsed.")

    def on_out_of_range(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A number past what the database stores (an id or page of 2**70), or the like: the
        # input's fault. The statement failed inside its own transaction, which was rolled back.
        logger.warning("Refused an out-of-range API input: %s", exc)
        return respond(request, 422, "invalid", "A value is out of range.")

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
        return respond(request, 500, "server_error", "Something went wrong on our side.")

    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (ValidationError, on_validation_error),
        (DjangoValidationError, on_django_validation_error),
        (ServiceError, on_service_error),
        (AuthenticationError, on_authentication_error),
        (Throttled, on_throttled),
        (HttpError, on_http_error),
        (Http404, on_not_found),
        (PermissionDenied, on_permission_denied),
        (SuspiciousOperation, on_suspicious),
        (MultiPartParserError, on_unparsable_body),
        (DataError, on_out_of_range),
        (Exception, on_unexpected),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
