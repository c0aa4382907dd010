"""Strict JSON bodies: every value of a JSON body must have the JSON type the document gives it.

ninja validates a parsed JSON body in pydantic's lax Python mode (through getters that read
attributes), where ``false`` is a valid integer, ``0`` a valid boolean and any JSON value at
all — ``[null, null]``, ``0`` — a valid object whose fields all have defaults. Before that, each
JSON body is now checked against its own JSON schema, type by type: a wrong type is a 422 naming
the field, like any other invalid input. Values are not converted here, so dates, times, enums
and the services' own rules are still validated by the schema as before. Bodies of other content
types (forms, multipart) are left to ninja: there every value arrives as a string.
"""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from ninja.errors import ValidationError
from ninja.params.models import BodyModel, _MultiPartBodyModel

_ninja_resolve = BodyModel.resolve.__func__  # type: ignore[attr-defined]

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}
_TYPE_NAMES = {"object": "an object", "array": "a list", "string": "a string"}


def _type_errors(
    value: Any, schema: dict[str, Any], defs: dict[str, Any], loc: tuple[Any, ...]
) -> list[dict[str, Any]]:
    """Where ``value`` has a JSON type its schema does not allow (types only, recursively)."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        options = [_type_errors(value, s, defs, loc) for s in schema["anyOf"]]
        return [] if any(not errors for errors in options) else min(options, key=len)
    expected = schema.get("type")
    if expected in _JSON_TYPES:
        allowed = _JSON_TYPES[expected]
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            name = _TYPE_NAMES.get(expected, f"a valid {expected}")
            return [{"loc": loc, "msg": f"Input should be {name}", "type": "strict_type"}]
    errors: list[dict[str, Any]] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            item_schema = properties.get(key, extra if isinstance(extra, dict) else None)
            if item_schema is not None:
                errors += _type_errors(item, item_schema, defs, (*loc, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            errors += _type_errors(item, schema["items"], defs, (*loc, i))
    return errors


@functools.cache
def _body_schema(cls: type[BodyModel]) -> dict[str, Any]:
    return cls.model_json_schema()


def _resolve(cls: Any, request: HttpRequest, api: Any, path_params: dict[str, Any]) -> Any:
    if not issubclass(cls, _MultiPartBodyModel) and request.content_type == "application/json":
        data = cls.get_request_data(request, api, path_params)
        if data is not None:
            schema = _body_schema(cls)
            errors = _type_errors(data, schema, schema.get("$defs", {}), ("body",))
            if errors:
                raise ValidationError(errors)
    return _ninja_resolve(cls, request, api, path_params)


def install() -> None:
    """Check every JSON body of every operation (ninja resolves bodies through this class)."""
    BodyModel.resolve = classmethod(_resolve)  # type: ignore[assignment,method-assign]
