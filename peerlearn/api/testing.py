"""Test helpers for the API."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from ninja import Schema
from ninja.renderers import JSONRenderer


def as_schema_writes(
    schema: type[Schema], objects: Iterable[Any], request: HttpRequest | None = None
) -> list[Any]:
    """``objects`` as ninja writes them through ``schema`` (validated, dumped as an operation
    dumps its result, JSON-encoded by the API's renderer, read back): what a ``fast_page`` item
    function must produce."""
    context = {"request": request} if request is not None else None
    dumped = [schema.model_validate(o, context=context).model_dump() for o in objects]
    return json.loads(JSONRenderer().render(request, dumped, response_status=200))  # type: ignore[arg-type]
