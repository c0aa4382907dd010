"""The accounts part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py).

CSRF on session posts; the OpenAPI document and the interactive docs."""

from __future__ import annotations

import pytest
from django.test import Client

from peerlearn.accounts.tests.api.helpers import API, assert_error, client_for, post_json
from peerlearn.common.testing import (
    make_subject,
    make_user,
)

pytestmark = pytest.mark.django_db


# --- session auth, CSRF -----------------------------------------------------------------------


def test_a_session_post_without_a_csrf_token_is_refused() -> None:
    user = make_user()
    topic = make_subject()
    client = client_for(user, enforce_csrf_checks=True)

    response = post_json(
        client, f"{API}/me/learning-subjects", {"subject_id": topic.pk, "level": "beginner"}
    )

    assert_error(response, 403, "csrf_failed")
    assert not user.learning_subjects.exists()


def test_a_session_post_with_the_csrf_token_is_accepted() -> None:
    user = make_user()
    topic = make_subject()
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")  # a page with a form sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    client.force_login(user)

    response = client.post(
        f"{API}/me/learning-subjects",
        {"subject_id": topic.pk, "level": "beginner"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    assert response.status_code == 200, response.content


def test_a_session_get_needs_no_csrf_token() -> None:
    client = client_for(make_user(), enforce_csrf_checks=True)

    assert client.get(f"{API}/me").status_code == 200


# --- the documents ----------------------------------------------------------------------------


def test_the_openapi_document_loads_and_lists_the_paths() -> None:
    response = Client().get(f"{API}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "PeerLearn API"
    assert schema["info"]["version"] == "1"
    paths = set(schema["paths"])
    for path in (
        "/api/v1/me",
        "/api/v1/me/profile",
        "/api/v1/me/avatar",
        "/api/v1/me/learning-subjects",
        "/api/v1/me/teaching-subjects",
        "/api/v1/me/availability",
        "/api/v1/me/availability/exceptions",
        "/api/v1/me/verifications",
        "/api/v1/users/{user_id}",
        "/api/v1/users/{user_id}/availability",
        "/api/v1/institutions",
        "/api/v1/subjects",
        "/api/v1/verifications",
        "/api/v1/verifications/{request_id}/document",
        "/api/v1/verifications/{request_id}/decision",
    ):
        assert path in paths, path
    assert set(schema["components"]["securitySchemes"]) == {"JWTAuth", "SessionAuth"}
    assert "ErrorOut" in schema["components"]["schemas"]


def test_the_interactive_docs_page_loads() -> None:
    response = Client().get(f"{API}/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content
