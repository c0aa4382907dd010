"""Errors raised by services. Views and the API turn them into messages and JSON errors."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule was broken. ``code`` is stable (clients switch on it); ``message`` is for people."""

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
