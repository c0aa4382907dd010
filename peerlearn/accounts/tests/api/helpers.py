"""Shared helpers of the accounts API tests: JSON clients, the one error shape, a profile body,
a pending verification request."""

from __future__ import annotations

from typing import Any

from django.test import Client

from peerlearn.accounts import services
from peerlearn.accounts.models import (
    Subject,
    User,
    VerificationRequest,
)
from peerlearn.common.testing import (
    PDF_BYTES,
    make_subject,
    upload,
)

API = "/api/v1"


def client_for(user: User | None = None, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    if field is not None:
        assert field in body["error"]["fields"], body
        assert body["error"]["fields"][field]
    return body["error"]


def put_json(client: Client, path: str, data: Any) -> Any:
    return client.put(path, data, content_type="application/json")


def patch_json(client: Client, path: str, data: Any) -> Any:
    return client.patch(path, data, content_type="application/json")


def post_json(client: Client, path: str, data: Any) -> Any:
    return client.post(path, data, content_type="application/json")


PROFILE = {
    "display_name": "Ada",
    "bio": "Likes graphs.",
    "programme": "BSc Computer Science",
    "year_of_study": 2,
    "timezone": "Europe/Berlin",
    "languages": ["en", "de"],
    "city": "Berlin",
    "latitude": 52.52,
    "longitude": 13.405,
    "learning_styles": ["visual", "hands_on"],
    "session_formats": ["one_to_one"],
}


def pending_request(tutor: User, subject: Subject | None = None) -> VerificationRequest:
    subject = subject or make_subject("Dynamic programming")
    services.teaching_subject_set(actor=tutor, subject_id=subject.pk, proficiency="expert")
    return services.verification_submit(
        actor=tutor, subject_id=subject.pk, upload=upload("transcript.pdf", PDF_BYTES)
    )
