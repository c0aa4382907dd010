"""The accounts part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py).

The caller (/me), the profile and the avatar."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from peerlearn.accounts import services
from peerlearn.accounts.models import (
    User,
)
from peerlearn.accounts.tests.api.helpers import (
    API,
    PROFILE,
    assert_error,
    client_for,
    patch_json,
    put_json,
)
from peerlearn.common.testing import (
    make_subject,
    make_user,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


# --- me ---------------------------------------------------------------------------------------


def test_me_returns_the_caller_with_profile_and_subjects() -> None:
    user = make_user("ada@example.org", display_name="Ada")
    topic = make_subject("Graphs")
    services.learning_subject_set(actor=user, subject_id=topic.pk, level="intermediate")

    response = client_for(user).get(f"{API}/me")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.pk
    assert body["email"] == "ada@example.org"
    assert body["role"] == "learner"
    assert body["profile"]["display_name"] == "Ada"
    assert body["learning_subjects"] == [
        {
            "subject": {
                "id": topic.pk,
                "name": "Graphs",
                "slug": topic.slug,
                "kind": "topic",
                "parent_id": topic.parent_id,
            },
            "level": "intermediate",
        }
    ]
    assert body["teaching_subjects"] == []


def test_me_creates_a_missing_profile() -> None:
    user = User.objects.create_user(email="bare@example.org", password="x" * 12)

    response = client_for(user).get(f"{API}/me")

    assert response.status_code == 200
    assert response.json()["profile"]["timezone"] == "UTC"


def test_me_refuses_an_anonymous_caller() -> None:
    assert_error(Client().get(f"{API}/me"), 401, "not_authenticated")


def test_put_profile_replaces_the_editable_fields() -> None:
    user = make_user()

    response = put_json(client_for(user), f"{API}/me/profile", PROFILE)

    assert response.status_code == 200, response.content
    body = response.json()
    for key, value in PROFILE.items():
        assert body[key] == value
    user.profile.refresh_from_db()
    assert user.profile.timezone == "Europe/Berlin"
    assert user.profile.languages == ["en", "de"]


def test_patch_profile_changes_only_the_fields_sent() -> None:
    user = make_user()
    client = client_for(user)
    put_json(client, f"{API}/me/profile", PROFILE)

    response = patch_json(client, f"{API}/me/profile", {"bio": "New bio", "year_of_study": None})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["bio"] == "New bio"
    assert body["year_of_study"] is None
    assert body["display_name"] == "Ada"
    assert body["timezone"] == "Europe/Berlin"
    assert body["latitude"] == 52.52


def test_profile_with_an_unknown_time_zone_is_422_naming_the_field() -> None:
    user = make_user()

    response = put_json(client_for(user), f"{API}/me/profile", {**PROFILE, "timezone": "Mars/Base"})

    assert_error(response, 422, "invalid_timezone", field="timezone")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"year_of_study": "second"}, "year_of_study"),
        ({"learning_styles": ["telepathy"]}, "learning_styles.0"),
        ({"display_name": None}, "display_name"),
    ],
)
def test_profile_with_badly_typed_input_is_422_naming_the_field(
    change: dict[str, Any], field: str
) -> None:
    user = make_user()

    response = patch_json(client_for(user), f"{API}/me/profile", change)

    assert_error(response, 422, "invalid", field=field)


def test_profile_with_half_a_location_is_422() -> None:
    user = make_user()

    response = patch_json(client_for(user), f"{API}/me/profile", {"latitude": 10.0})

    assert_error(response, 422, "invalid_location", field="latitude")


def test_put_profile_without_display_name_is_422() -> None:
    user = make_user()
    data = {k: v for k, v in PROFILE.items() if k != "display_name"}

    response = put_json(client_for(user), f"{API}/me/profile", data)

    assert_error(response, 422, "invalid", field="display_name")


def test_malformed_json_is_an_error_in_the_one_shape() -> None:
    user = make_user()

    response = client_for(user).put(
        f"{API}/me/profile", "{not json", content_type="application/json"
    )

    assert response.status_code in {400, 422}
    assert_error(response, response.status_code, response.json()["error"]["code"])


def test_avatar_upload_and_removal() -> None:
    user = make_user()
    client = client_for(user)

    response = client.post(f"{API}/me/avatar", {"avatar": upload("me.png", png_bytes((300, 200)))})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["avatar_url"].startswith("http://testserver/media/avatars/")
    assert body["avatar_thumbnail_url"].endswith("-thumb.webp")

    response = client.delete(f"{API}/me/avatar")

    assert response.status_code == 200
    assert response.json()["avatar_url"] is None


def test_avatar_that_is_not_an_image_is_422() -> None:
    user = make_user()

    response = client_for(user).post(
        f"{API}/me/avatar", {"avatar": upload("me.png", b"<script>alert(1)</script>")}
    )

    assert_error(response, 422, "file_type", field="avatar")


def test_avatar_missing_from_the_form_is_422() -> None:
    user = make_user()

    response = client_for(user).post(f"{API}/me/avatar", {})

    assert_error(response, 422, "invalid", field="avatar")
