"""What schemathesis found in /api/v1/, one test each: bodies that cannot be parsed, wrongly
typed bodies, out-of-range numbers, the Authorization header, unknown paths and the document."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from config.api import api
from peerlearn.api.pages import MAX_PAGE
from peerlearn.common.testing import make_user

pytestmark = pytest.mark.django_db

API = "/api/v1"


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


@pytest.fixture
def learner_client() -> Client:
    client = Client()
    client.force_login(make_user())
    return client


def test_a_multipart_body_without_its_boundary_is_a_400_not_a_500() -> None:
    # The session's CSRF check reads the form: that is where the body failed to parse.
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    client.cookies["csrftoken"] = "a" * 32

    response = client.post(
        f"{API}/me/learning-subjects",
        b"x",
        content_type="multipart/form-data",
        headers={"X-CSRFToken": "a" * 32},
    )

    assert error_of(response, 400)["code"] == "bad_request"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "put",
            "/me/availability",
            {
                "timezone": "UTC",
                "windows": [{"weekday": False, "start_time": "09:00", "end_time": "10:00"}],
            },
            "windows.0.weekday",
        ),
        ("patch", "/me/profile", {"year_of_study": True}, "year_of_study"),
        (
            "put",
            "/me/notification-preferences",
            {"digest_enabled": 0, "preferences": {}},
            "digest_enabled",
        ),
        ("post", "/me/learning-subjects", [None, None], "__all__"),
        ("post", "/me/learning-subjects", 0, "__all__"),
        ("post", "/me/learning-subjects", {"subject_id": "12"}, "subject_id"),
    ],
)
def test_a_wrongly_typed_body_is_a_422_naming_the_field(
    learner_client: Client, method: str, path: str, body: Any, field: str
) -> None:
    response = getattr(learner_client, method)(
        f"{API}{path}", body, content_type="application/json"
    )

    error = error_of(response, 422)
    assert error["code"] == "invalid"
    assert field in error["fields"], error


def test_a_rightly_typed_body_still_converts_times_and_enums(learner_client: Client) -> None:
    body = {
        "timezone": "UTC",
        "windows": [{"weekday": 1, "start_time": "09:00", "end_time": "10:00"}],
    }

    response = learner_client.put(f"{API}/me/availability", body, content_type="application/json")

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("page", [2**70, MAX_PAGE + 1])
def test_a_page_past_the_documented_maximum_is_a_422_naming_it(
    learner_client: Client, page: int
) -> None:
    response = learner_client.get(f"{API}/institutions", {"page": page})

    error = error_of(response, 422)
    assert error["code"] == "invalid"
    assert "page" in error["fields"]


def test_the_largest_documented_page_is_an_empty_page(learner_client: Client) -> None:
    """schemathesis found it: 702121634300144128 was a valid page by the document and a 422."""
    response = learner_client.get(f"{API}/institutions", {"page": MAX_PAGE})

    assert response.status_code == 200, response.content
    assert response.json()["items"] == []


def test_every_paged_operation_documents_the_page_maximum() -> None:
    """(The tutor search is not paged this way: any page number is clamped to its pages.)"""
    document = api.get_openapi_schema(path_prefix="/api/v1/")
    paged = [
        (path, method, parameter["schema"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "page"
        and any(p["name"] == "page_size" for p in operation["parameters"])
    ]

    assert len(paged) >= 10
    assert all(schema.get("maximum") == MAX_PAGE for _, _, schema in paged), paged


def test_a_non_bearer_authorization_beside_a_session_is_refused() -> None:
    client = Client()
    client.force_login(make_user())

    response = client.get(f"{API}/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert error_of(response, 401)["code"] == "token_invalid"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.get(f"{API}/me").status_code == 200


def test_an_unknown_path_refuses_in_json_even_without_a_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())

    response = client.post(f"{API}/bookings/not-a-number/accept")

    assert error_of(response, 404)["code"] == "not_found"


def test_the_document_is_built_once_per_process() -> None:
    assert api.get_openapi_schema(path_prefix="/api/v1/") is api.get_openapi_schema(
        path_prefix="/api/v1/"
    )


def test_each_component_name_means_one_thing() -> None:
    components = api.get_openapi_schema(path_prefix="/api/v1/")["components"]["schemas"]

    assert components["SubjectKind"]["enum"] == ["area", "subject", "topic"]
    assert "admin" in components["UserRole"]["enum"]
    assert set(components["TimeClaimRole"]["enum"]) == {"tutor", "learner"}
    assert "reminder" not in str(components["BookingKind"])
    assert {"Kind", "Role", "Status"}.isdisjoint(components)
    assert "name" in components["MemberOut"]["properties"]
    assert "display_name" in components["PersonOut"]["properties"]


def test_every_operation_documents_the_error_shape() -> None:
    paths = api.get_openapi_schema(path_prefix="/api/v1/")["paths"]

    for path, operations in paths.items():
        for method, operation in operations.items():
            for status in (400, 401, 403, 404, 422, 429, 500):
                assert status in operation["responses"], (method, path, status)


def test_the_served_document_is_the_built_one() -> None:
    served = Client().get(f"{API}/openapi.json").json()

    assert served["paths"].keys() == api.get_openapi_schema()["paths"].keys()
    assert "SubjectKind" in served["components"]["schemas"]


@pytest.mark.parametrize("docs", ["docs", "docs/try"])
def test_the_docs_pages_load_nothing_from_another_host(docs: str) -> None:
    page = Client().get(f"{API}/{docs}").content.decode()

    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(s.startswith(("/", "#")) and not s.startswith("//") for s in sources), sources


def test_accounts_operations_keep_their_ids_after_moving_to_the_api_layer() -> None:
    document = api.get_openapi_schema(path_prefix="/api/v1/")
    ids = {op["operationId"] for item in document["paths"].values() for op in item.values()}

    assert "peerlearn_accounts_api_avatar_post" in ids
    assert not [i for i in ids if i.startswith("peerlearn_api_accounts_")]
