"""The accounts part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py).

Tutor verification: evidence, documents, the moderators' queue and decisions."""

from __future__ import annotations

import pytest
from django.test import Client

from peerlearn.accounts import services
from peerlearn.accounts.models import (
    DocumentAccessLog,
    User,
    VerificationDecision,
    VerificationRequest,
)
from peerlearn.accounts.tests.api.helpers import (
    API,
    assert_error,
    client_for,
    pending_request,
    post_json,
)
from peerlearn.common.testing import (
    PDF_BYTES,
    make_moderator,
    make_subject,
    make_user,
    upload,
)

pytestmark = pytest.mark.django_db


# --- verification -----------------------------------------------------------------------------


def test_a_tutor_submits_evidence_and_lists_their_requests() -> None:
    tutor = make_user(role=User.Role.TUTOR)
    topic = make_subject("Graphs")
    services.teaching_subject_set(actor=tutor, subject_id=topic.pk, proficiency="expert")
    client = client_for(tutor)

    response = client.post(
        f"{API}/me/verifications",
        {"subject_id": topic.pk, "note": "My transcript", "document": upload("t.pdf", PDF_BYTES)},
    )

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "pending"
    assert created["content_type"] == "application/pdf"
    assert created["subject"]["id"] == topic.pk
    assert created["document_url"].endswith(f"/api/v1/verifications/{created['id']}/document")
    listed = client.get(f"{API}/me/verifications").json()
    assert [i["id"] for i in listed["items"]] == [created["id"]]


def test_evidence_for_a_subject_not_taught_is_422_naming_subject_id() -> None:
    tutor = make_user()
    topic = make_subject()

    response = client_for(tutor).post(
        f"{API}/me/verifications", {"subject_id": topic.pk, "document": upload("t.pdf", PDF_BYTES)}
    )

    assert_error(response, 422, "not_teaching", field="subject_id")


def test_evidence_of_a_forbidden_type_is_422_naming_document() -> None:
    tutor = make_user()
    topic = make_subject()
    services.teaching_subject_set(actor=tutor, subject_id=topic.pk, proficiency="expert")

    response = client_for(tutor).post(
        f"{API}/me/verifications",
        {"subject_id": topic.pk, "document": upload("t.pdf", b"MZ\x90\x00 not a pdf")},
    )

    assert_error(response, 422, "file_type", field="document")


def test_a_second_pending_request_for_a_subject_is_409() -> None:
    tutor = make_user()
    req = pending_request(tutor)
    subject_id = req.teaching_subject.subject_id

    response = client_for(tutor).post(
        f"{API}/me/verifications",
        {"subject_id": subject_id, "document": upload("t.pdf", PDF_BYTES)},
    )

    assert_error(response, 409, "already_pending")


def test_the_owner_and_a_moderator_can_download_the_document_as_an_attachment() -> None:
    tutor = make_user()
    req = pending_request(tutor)
    moderator = make_moderator()

    for user in (tutor, moderator):
        response = client_for(user).get(f"{API}/verifications/{req.pk}/document")

        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert 'filename="transcript.pdf"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    assert DocumentAccessLog.objects.filter(request=req).count() == 2


def test_another_users_verification_document_is_404() -> None:
    req = pending_request(make_user())
    stranger = make_user()

    response = client_for(stranger).get(f"{API}/verifications/{req.pk}/document")

    assert_error(response, 404, "not_found")
    assert not DocumentAccessLog.objects.exists()


def test_an_anonymous_caller_cannot_fetch_a_document() -> None:
    req = pending_request(make_user())

    assert_error(Client().get(f"{API}/verifications/{req.pk}/document"), 401, "not_authenticated")


def test_the_queue_is_for_moderators_only() -> None:
    req = pending_request(make_user(display_name="Tutor T"))
    moderator = make_moderator()

    assert_error(client_for(make_user()).get(f"{API}/verifications"), 403, "forbidden")

    body = client_for(moderator).get(f"{API}/verifications").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == req.pk
    assert item["tutor"]["display_name"] == "Tutor T"
    assert "email" not in item["tutor"]


def test_a_moderator_approves_and_the_subject_is_verified() -> None:
    tutor = make_user()
    req = pending_request(tutor)
    moderator = make_moderator()
    client = client_for(moderator)

    response = post_json(
        client,
        f"{API}/verifications/{req.pk}/decision",
        {"approve": True, "reason": "Transcript shows an A."},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision"] == "approved"
    assert body["request_id"] == req.pk
    req.refresh_from_db()
    assert req.status == VerificationRequest.Status.APPROVED
    assert req.teaching_subject.is_verified
    decision = VerificationDecision.objects.get(request=req)
    assert (decision.moderator, decision.reason) == (moderator, "Transcript shows an A.")

    again = post_json(
        client, f"{API}/verifications/{req.pk}/decision", {"approve": False, "reason": "x"}
    )
    assert_error(again, 409, "already_decided")

    approved = client.get(f"{API}/verifications", {"status": "approved"}).json()
    assert approved["items"][0]["decisions"][0]["moderator"]["id"] == moderator.pk


def test_a_non_moderator_deciding_is_403() -> None:
    tutor = make_user()
    req = pending_request(tutor)

    for user in (tutor, make_user()):
        response = post_json(
            client_for(user),
            f"{API}/verifications/{req.pk}/decision",
            {"approve": True, "reason": "Looks fine to me"},
        )
        assert_error(response, 403, "forbidden")
    req.refresh_from_db()
    assert req.status == VerificationRequest.Status.PENDING


def test_a_decision_without_a_reason_is_422_naming_reason() -> None:
    req = pending_request(make_user())

    response = post_json(
        client_for(make_moderator()),
        f"{API}/verifications/{req.pk}/decision",
        {"approve": False, "reason": "   "},
    )

    assert_error(response, 422, "required", field="reason")
