"""Errors raised by services; the one error path (docs/errors-and-permissions.md).

Services raise a subclass: ``NotFound`` (404), ``Forbidden`` (403), ``Conflict`` (409),
``Invalid`` (400) or ``RateLimited`` (429). The API turns each into its JSON error
(``peerlearn.api.errors``); for HTML views ``peerlearn.common.middleware.ServiceErrorMiddleware``
turns what a view lets through into the status's page. A view catches only what it shows on its
own page (a form's error, a flash message): ``except REFUSALS``, which leaves ``NotFound`` to the
middleware.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A rule was broken. ``code`` is stable (clients switch on it); ``message`` is for people.

    The base of the errors below; raise one of them (``Invalid`` for a plain rule failure)."""

    status = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field


class NotFound(ServiceError):
    """Missing, or not visible to this user: both look the same so nothing leaks."""

    status = 404
    default_code = "not_found"


class Forbidden(ServiceError):
    status = 403
    default_code = "forbidden"


class Conflict(ServiceError):
    status = 409
    default_code = "conflict"


class Invalid(ServiceError):
    """The input breaks a rule (``field`` names it when there is one)."""

    status = 400
    default_code = "invalid"


class RateLimited(ServiceError):
    status = 429
    default_code = "rate_limited"


# What a view may show on its own page (next to a form, or as a flash message) instead of an
# error page: every service error but NotFound, which the middleware answers with the 404 page.
REFUSALS: tuple[type[ServiceError], ...] = (Invalid, Forbidden, Conflict, RateLimited)
