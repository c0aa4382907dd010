"""The API reference page (/api/v1/docs): every operation and schema of the document, on one
server-rendered page whose links all land, with Swagger UI one link away."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from config import warmup
from config.api import api
from config.apireference import reference_body, type_label

pytestmark = pytest.mark.django_db

DOCS = "/api/v1/docs"


@pytest.fixture(scope="module")
def document() -> dict:
    return dict(api.get_openapi_schema(path_prefix="/api/v1/"))


def test_the_reference_lists_every_operation_and_schema(document: dict) -> None:
    response = Client().get(DOCS)

    assert response.status_code == 200
    html = response.content.decode()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert f'id="{operation["operationId"]}"' in html
            assert f"<code>{path}</code>" in html, (method, path)
    for name in document["components"]["schemas"]:
        assert f'id="{name}"' in html


def test_every_link_on_the_reference_lands_on_the_page() -> None:
    html = Client().get(DOCS).content.decode()

    ids = set(re.findall(r'id="([^"]+)"', html))
    anchors = set(re.findall(r'href="#([^"]+)"', html))
    assert anchors, "the page links its schemas"
    assert anchors <= ids, sorted(anchors - ids)


def test_swagger_ui_is_one_link_away_and_served_from_this_site() -> None:
    reference = Client().get(DOCS).content.decode()
    console = Client().get(f"{DOCS}/try")

    assert f'href="{DOCS}/try"' in reference
    assert console.status_code == 200
    assert b"swagger-ui-bundle.js" in console.content


def test_the_root_names_the_reference_and_the_console() -> None:
    body = Client().get("/api/v1/").json()

    assert body["docs"] == DOCS
    assert body["console"] == f"{DOCS}/try"


@pytest.mark.parametrize(
    ("schema", "text", "component"),
    [
        ({"$ref": "#/components/schemas/BookingOut"}, "BookingOut", "BookingOut"),
        ({"type": "array", "items": {"$ref": "#/components/schemas/X"}}, "list of X", "X"),
        ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, "integer or null", ""),
        ({"enum": ["a", "b"], "type": "string"}, '"a" | "b"', ""),
        ({"type": "string", "format": "date-time"}, "string (date-time)", ""),
        ({}, "any", ""),
    ],
)
def test_a_schema_is_written_as_one_line(schema: dict, text: str, component: str) -> None:
    label = type_label(schema)

    assert (label.text, label.component) == (text, component)


def test_the_web_process_warm_up_builds_the_reference(settings: Any) -> None:
    """The first visitor of /api/v1/docs gets the page from memory."""
    reference_body.cache_clear()
    settings.WARM_UP = True

    thread = warmup.start()
    assert thread is not None
    thread.join(timeout=120)

    assert not thread.is_alive()
    assert reference_body.cache_info().currsize == 1
