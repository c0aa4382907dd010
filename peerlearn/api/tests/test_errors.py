"""Every failure of /api/v1/ has the one JSON error shape with a stable code."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import Client

from peerlearn.accounts import selectors
from peerlearn.api.errors import field_name
from peerlearn.common.errors import Conflict, ServiceError
from peerlearn.common.testing import make_user

pytestmark = pytest.mark.django_db

API = "/api/v1"


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def failing_subject_tree(exc: Exception) -> Any:
    def fail() -> None:
        raise exc

    return fail


def test_an_unknown_endpoint_is_a_json_404() -> None:
    error = error_of(Client().get(f"{API}/no/such/thing"), 404)

    assert error["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/practice/sessions/a%0Ab/join",  # a newline in a path parameter (schemathesis found it)
        "/no/such/thing%0A",
        "/%0D%0A",
        "/x/%2F..%2F",
        "/%00",
    ],
)
def test_an_unknown_endpoint_with_control_characters_is_still_a_json_404(path: str) -> None:
    assert error_of(Client().post(f"{API}{path}"), 404)["code"] == "not_found"


def test_a_method_an_endpoint_lacks_is_a_json_405_with_allow() -> None:
    response = Client().delete(f"{API}/subjects")

    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert response["Allow"] == "GET"


def test_the_root_points_at_the_documents() -> None:
    body = Client().get(f"{API}/").json()

    assert body["openapi"] == "/api/v1/openapi.json"
    assert body["docs"] == "/api/v1/docs"


def test_an_unexpected_error_is_a_500_that_leaks_nothing_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    boom = RuntimeError("connection to db-secret-host failed")
    monkeypatch.setattr(selectors, "subject_tree", failing_subject_tree(boom))

    with caplog.at_level(logging.ERROR, logger="peerlearn.api.errors"):
        response = Client().get(f"{API}/subjects")

    error = error_of(response, 500)
    assert error["code"] == "server_error"
    assert b"db-secret-host" not in response.content
    assert b"Traceback" not in response.content
    assert any(record.exc_info and record.exc_info[1] is boom for record in caplog.records)


@pytest.mark.parametrize(
    ("exc", "status", "code", "fields"),
    [
        (Http404("secret"), 404, "not_found", {}),
        (PermissionDenied("secret"), 403, "forbidden", {}),
        (ServiceError("Nope.", code="some_rule", field="q"), 422, "some_rule", {"q": ["Nope."]}),
        (ServiceError("Nope.", code="some_rule"), 400, "some_rule", {}),
        (Conflict("Taken.", code="taken"), 409, "taken", {}),
        (DjangoValidationError({"name": ["Too long."]}), 422, "invalid", {"name": ["Too long."]}),
    ],
)
def test_exceptions_map_to_statuses_and_codes(
    monkeypatch: pytest.MonkeyPatch,
    exc: Exception,
    status: int,
    code: str,
    fields: dict[str, list[str]],
) -> None:
    monkeypatch.setattr(selectors, "subject_tree", failing_subject_tree(exc))

    error = error_of(Client().get(f"{API}/subjects"), status)

    assert error["code"] == code
    assert error["fields"] == fields
    assert "secret" not in error["message"]


def test_the_rate_limit_is_429_with_retry_after(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    client = Client()

    for _ in range(3):
        assert client.get(f"{API}/subjects").status_code == 200
    response = client.get(f"{API}/subjects")

    assert error_of(response, 429)["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


def test_the_rate_limit_counts_each_signed_in_person_separately(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    busy, other = Client(), Client()
    busy.force_login(make_user())
    other.force_login(make_user())

    for _ in range(2):
        assert busy.get(f"{API}/me").status_code == 200
    assert busy.get(f"{API}/me").status_code == 429
    assert other.get(f"{API}/me").status_code == 200


def test_a_forwarded_for_header_does_not_escape_the_rate_limit(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    client = Client()

    assert client.get(f"{API}/subjects", headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 200
    response = client.get(f"{API}/subjects", headers={"X-Forwarded-For": "10.0.0.2"})

    assert response.status_code == 429


@pytest.mark.parametrize(
    ("loc", "name"),
    [
        (("body", "payload", "windows", 0, "end_time"), "windows.0.end_time"),
        (("body", "payload", "timezone"), "timezone"),
        (("body", "payload"), "__all__"),
        (("query", "page"), "page"),
        (("form", "subject_id"), "subject_id"),
        (("file", "document"), "document"),
        (("path", "user_id"), "user_id"),
    ],
)
def test_field_names_are_what_the_client_sent(loc: tuple[Any, ...], name: str) -> None:
    assert field_name(loc) == name
