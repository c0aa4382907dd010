"""The API's reference page, ``/api/v1/docs``: the OpenAPI document written out as one plain,
server-rendered HTML page (no script, no CDN), built once per process.

Swagger UI needs several seconds of a browser's CPU for a document of this size, so it moved to
``/api/v1/docs/try`` (for trying calls); the reference is what opens first.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from config.api import api
from peerlearn.api.errors import ERROR_STATUSES
from peerlearn.common.markdown import render_markdown

REF_PREFIX = "#/components/schemas/"
METHODS = ("get", "post", "put", "patch", "delete")
# The statuses every operation documents with the one error shape (peerlearn/api/errors.py).
ERROR_CODES = {str(status) for status in ERROR_STATUSES}


@dataclass(frozen=True)
class TypeLabel:
    """A schema as one line: its text and, for a named component, the component's name."""

    text: str
    component: str = ""


@dataclass
class Parameter:
    name: str
    where: str
    type: TypeLabel
    required: bool
    description: str


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: SafeString
    anchor: str
    parameters: list[Parameter]
    body: TypeLabel | None
    success: list[tuple[str, str, TypeLabel | None]]
    errors: list[str]


@dataclass
class Component:
    name: str
    description: SafeString
    kind: TypeLabel
    properties: list[Parameter] = field(default_factory=list)


def type_label(schema: dict[str, Any] | None) -> TypeLabel:
    """``integer``, ``list of BookingOut``, ``"a" | "b"``, ``string or null``, ..."""
    if not schema:
        return TypeLabel("any")
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix(REF_PREFIX)
        return TypeLabel(name, name)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            parts = [type_label(part) for part in schema[combinator]]
            joiner = " and " if combinator == "allOf" else " or "
            named = next((p.component for p in parts if p.component), "")
            return TypeLabel(joiner.join(p.text for p in parts), named)
    if "enum" in schema:
        return TypeLabel(" | ".join(f'"{value}"' for value in schema["enum"]))
    kind = schema.get("type", "object")
    if kind == "array":
        items = type_label(schema.get("items"))
        return TypeLabel(f"list of {items.text}", items.component)
    if isinstance(kind, list):
        return TypeLabel(" or ".join(str(k) for k in kind))
    fmt = schema.get("format")
    return TypeLabel(f"{kind} ({fmt})" if fmt else str(kind))


def _optional_label(schema: dict[str, Any] | None) -> TypeLabel | None:
    return type_label(schema) if schema else None


def _json_schema(content: dict[str, Any] | None) -> dict[str, Any] | None:
    for media in (content or {}).values():
        return media.get("schema")
    return None


def _operation(path: str, method: str, spec: dict[str, Any]) -> Operation:
    parameters = [
        Parameter(
            name=p["name"],
            where=p["in"],
            type=type_label(p.get("schema")),
            required=bool(p.get("required")),
            description=p.get("description") or p.get("schema", {}).get("description", ""),
        )
        for p in spec.get("parameters", [])
    ]
    body = spec.get("requestBody")
    responses = {str(status): response for status, response in spec.get("responses", {}).items()}
    success = [
        (status, r.get("description", ""), _optional_label(_json_schema(r.get("content"))))
        for status, r in sorted(responses.items())
        if status not in ERROR_CODES
    ]
    return Operation(
        method=method.upper(),
        path=path,
        summary=spec.get("summary", ""),
        description=_markdown(spec.get("description", ""), besides=spec.get("summary", "")),
        anchor=spec.get("operationId", f"{method}-{path}"),
        parameters=parameters,
        body=_optional_label(_json_schema(body.get("content"))) if body else None,
        success=success,
        errors=sorted(status for status in responses if status in ERROR_CODES),
    )


def _component(name: str, schema: dict[str, Any]) -> Component:
    required = set(schema.get("required", []))
    properties = [
        Parameter(
            name=prop,
            where="",
            type=type_label(sub),
            required=prop in required,
            description=sub.get("description", ""),
        )
        for prop, sub in schema.get("properties", {}).items()
    ]
    kind = TypeLabel("object") if properties else type_label(schema)
    return Component(name, _markdown(schema.get("description", "")), kind, properties)


def _markdown(text: str, *, besides: str = "") -> SafeString:
    """A description as HTML (sanitized); empty when it only repeats ``besides``."""
    return mark_safe(render_markdown(text)) if text and text != besides else mark_safe("")  # noqa: S308


def reference(document: dict[str, Any]) -> dict[str, Any]:
    """The page's content: operations grouped by tag, then every component."""
    groups: dict[str, list[Operation]] = defaultdict(list)
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["other"])[0]
                groups[tag].append(_operation(path, method, item[method]))
    schemas = document.get("components", {}).get("schemas", {})
    info = document.get("info", {})
    return {
        "title": info.get("title", "API"),
        "version": info.get("version", ""),
        "description": render_markdown(info.get("description", "")),
        "groups": sorted(groups.items()),
        "components": [_component(name, schemas[name]) for name in sorted(schemas)],
        "count": sum(len(ops) for ops in groups.values()),
    }


@functools.cache
def reference_body() -> SafeString:
    """The page's content, rendered once per process (the web process's warm-up does it)."""
    document = api.get_openapi_schema(path_prefix=api.get_root_path({}))
    return mark_safe(render_to_string("api/_reference_body.html", reference(document)))  # noqa: S308


def reference_page(request: HttpRequest) -> HttpResponse:
    return render(request, "api/reference.html", {"body": reference_body()})
