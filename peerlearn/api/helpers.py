"""Small helpers shared by every app's API router."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from peerlearn.common.errors import Invalid, ServiceError

from .errors import ERROR_RESPONSES


def ok(schema: Any, status: int = 200) -> dict[Any, Any]:
    """The responses of an operation: its success schema plus the shared error shape."""
    return {status: schema, **ERROR_RESPONSES}


@contextmanager
def api_field_names(**renames: str) -> Iterator[None]:
    """Name a service's failing field as the API client sent it (``subject`` → ``subject_id``)."""
    try:
        yield
    except ServiceError as exc:
        if exc.field in renames:
            exc.field = renames[exc.field]
        raise


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def require_timezone(name: str, *, field: str) -> str:
    if name not in _known_timezones():
        raise Invalid("Unknown time zone.", code="invalid_timezone", field=field)
    return name
