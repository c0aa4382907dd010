"""The accounts part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from peerlearn.accounts import services
from peerlearn.accounts.models import (
    AvailabilityException,
    AvailabilityWindow,
    DocumentAccessLog,
    Institution,
    InstitutionDomain,
    Subject,
    TeachingSubject,
    User,
    VerificationDecision,
    VerificationRequest,
)
from peerlearn.common.testing import (
    PDF_BYTES,
    make_moderator,
    make_subject,
    make_user,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

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


# --- me: subjects -----------------------------------------------------------------------------


def test_learning_subjects_add_list_update_and_remove() -> None:
    user = make_user()
    topic = make_subject("Graphs")
    client = client_for(user)

    response = post_json(
        client, f"{API}/me/learning-subjects", {"subject_id": topic.pk, "level": "beginner"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["level"] == "beginner"

    post_json(client, f"{API}/me/learning-subjects", {"subject_id": topic.pk, "level": "advanced"})
    listed = client.get(f"{API}/me/learning-subjects").json()
    assert [(i["subject"]["id"], i["level"]) for i in listed] == [(topic.pk, "advanced")]

    response = client.delete(f"{API}/me/learning-subjects/{topic.pk}")
    assert response.status_code == 204
    assert client.get(f"{API}/me/learning-subjects").json() == []

    assert_error(client.delete(f"{API}/me/learning-subjects/{topic.pk}"), 404, "not_found")


def test_an_unknown_subject_is_422_naming_subject_id() -> None:
    user = make_user()

    response = post_json(
        client_for(user), f"{API}/me/learning-subjects", {"subject_id": 999999, "level": "beginner"}
    )

    assert_error(response, 422, "invalid_subject", field="subject_id")


def test_an_unknown_level_is_422_naming_level() -> None:
    user = make_user()
    topic = make_subject()

    response = post_json(
        client_for(user),
        f"{API}/me/learning-subjects",
        {"subject_id": topic.pk, "level": "godlike"},
    )

    assert_error(response, 422, "invalid", field="level")


def test_teaching_subjects_add_list_and_remove() -> None:
    user = make_user()
    topic = make_subject("Recursion")
    client = client_for(user)

    response = post_json(
        client,
        f"{API}/me/teaching-subjects",
        {"subject_id": topic.pk, "proficiency": "expert", "evidence": "TA for CS101"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["verified"] is False
    listed = client.get(f"{API}/me/teaching-subjects").json()
    assert [(i["subject"]["id"], i["proficiency"], i["evidence"]) for i in listed] == [
        (topic.pk, "expert", "TA for CS101")
    ]
    user.refresh_from_db()
    assert user.role == User.Role.TUTOR

    assert client.delete(f"{API}/me/teaching-subjects/{topic.pk}").status_code == 204
    assert not TeachingSubject.objects.filter(user=user).exists()


def test_a_whole_area_cannot_be_taught() -> None:
    user = make_user()
    topic = make_subject()
    assert topic.parent is not None and topic.parent.parent is not None
    area = topic.parent.parent

    response = post_json(client_for(user), f"{API}/me/teaching-subjects", {"subject_id": area.pk})

    assert_error(response, 422, "invalid_subject", field="subject_id")


# --- me: availability -------------------------------------------------------------------------


WINDOWS = [
    {"weekday": 0, "start_time": "09:00:00", "end_time": "12:00:00"},
    {"weekday": 0, "start_time": "14:00:00", "end_time": "16:30:00"},
    {"weekday": 4, "start_time": "18:00:00", "end_time": "20:00:00"},
]


def test_availability_is_replaced_and_read_back() -> None:
    user = make_user(timezone="Europe/Berlin")
    client = client_for(user)

    response = put_json(client, f"{API}/me/availability", {"windows": WINDOWS})

    assert response.status_code == 200, response.content
    assert response.json() == {"timezone": "Europe/Berlin", "windows": WINDOWS}
    assert client.get(f"{API}/me/availability").json()["windows"] == WINDOWS

    put_json(client, f"{API}/me/availability", {"windows": WINDOWS[:1]})
    assert AvailabilityWindow.objects.filter(user=user).count() == 1


def test_overlapping_windows_are_422() -> None:
    user = make_user()
    overlapping = [
        {"weekday": 2, "start_time": "09:00", "end_time": "12:00"},
        {"weekday": 2, "start_time": "11:00", "end_time": "13:00"},
    ]

    response = put_json(client_for(user), f"{API}/me/availability", {"windows": overlapping})

    assert_error(response, 422, "overlapping_windows", field="windows")
    assert not AvailabilityWindow.objects.filter(user=user).exists()


def test_a_window_ending_before_it_starts_is_422_naming_it() -> None:
    user = make_user()
    windows = [WINDOWS[0], {"weekday": 1, "start_time": "12:00", "end_time": "09:00"}]

    response = put_json(client_for(user), f"{API}/me/availability", {"windows": windows})

    assert_error(response, 422, "invalid_window", field="windows.1.end_time")


def test_a_bad_weekday_is_422_naming_it() -> None:
    user = make_user()
    windows = [{"weekday": 7, "start_time": "09:00", "end_time": "10:00"}]

    response = put_json(client_for(user), f"{API}/me/availability", {"windows": windows})

    assert_error(response, 422, "invalid", field="windows.0.weekday")


def test_availability_exceptions_add_list_and_remove() -> None:
    user = make_user()
    client = client_for(user)
    day = (timezone.now() + dt.timedelta(days=10)).date()

    response = post_json(
        client,
        f"{API}/me/availability/exceptions",
        {"date": day.isoformat(), "kind": "available", "start_time": "08:00", "end_time": "09:00"},
    )

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "available"
    listed = client.get(f"{API}/me/availability/exceptions").json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == created["id"]

    response = client.delete(f"{API}/me/availability/exceptions/{created['id']}")
    assert response.status_code == 204
    assert not AvailabilityException.objects.filter(user=user).exists()


def test_an_exception_in_the_past_is_422_naming_date() -> None:
    user = make_user()
    day = (timezone.now() - dt.timedelta(days=3)).date()

    response = post_json(
        client_for(user), f"{API}/me/availability/exceptions", {"date": day.isoformat()}
    )

    assert_error(response, 422, "date_in_past", field="date")


def test_nobody_can_delete_someone_elses_exception() -> None:
    owner, other = make_user(), make_user()
    day = (timezone.now() + dt.timedelta(days=5)).date()
    exception = services.availability_exception_add(actor=owner, on=day, kind="unavailable")

    response = client_for(other).delete(f"{API}/me/availability/exceptions/{exception.pk}")

    assert_error(response, 404, "not_found")
    assert AvailabilityException.objects.filter(pk=exception.pk).exists()


# --- writes only ever touch the caller ----------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "post", "delete"])
@pytest.mark.parametrize("suffix", ["", "/profile", "/availability", "/avatar"])
def test_there_is_no_way_to_write_another_persons_profile_or_availability(
    method: str, suffix: str
) -> None:
    victim, attacker = make_user(display_name="Victim"), make_user()
    services.availability_replace(
        actor=victim,
        user=victim,
        windows=[services.WindowInput(0, dt.time(9), dt.time(10))],
    )
    client = client_for(attacker)

    response = getattr(client, method)(
        f"{API}/users/{victim.pk}{suffix}",
        {**PROFILE, "windows": []},
        content_type="application/json",
    )

    assert response.status_code in {404, 405}
    assert_error(response, response.status_code, response.json()["error"]["code"])
    victim.profile.refresh_from_db()
    assert victim.profile.display_name == "Victim"
    assert AvailabilityWindow.objects.filter(user=victim).count() == 1


def test_me_endpoints_only_touch_the_caller() -> None:
    victim, caller = make_user(display_name="Victim"), make_user(display_name="Caller")
    client = client_for(caller)

    put_json(client, f"{API}/me/profile", {**PROFILE, "display_name": "Changed"})
    put_json(client, f"{API}/me/availability", {"windows": WINDOWS})

    victim.profile.refresh_from_db()
    caller.profile.refresh_from_db()
    assert victim.profile.display_name == "Victim"
    assert caller.profile.display_name == "Changed"
    assert not AvailabilityWindow.objects.filter(user=victim).exists()
    assert AvailabilityWindow.objects.filter(user=caller).count() == len(WINDOWS)


# --- people -----------------------------------------------------------------------------------


def test_public_profile_hides_email_and_exact_location() -> None:
    person = make_user(
        "private.person@example.org",
        display_name="Grace",
        city="Berlin",
        latitude=52.52,
        longitude=13.405,
    )
    topic = make_subject("Compilers")
    services.teaching_subject_set(actor=person, subject_id=topic.pk, proficiency="expert")
    viewer = make_user(latitude=52.40, longitude=13.06)  # Potsdam, ~27 km

    response = client_for(viewer).get(f"{API}/users/{person.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == person.pk
    assert body["display_name"] == "Grace"
    assert body["teaching_subjects"][0]["subject"]["id"] == topic.pk
    assert body["teaching_subjects"][0]["verified"] is False
    assert body["distance_km"] == 25
    for hidden in ("email", "latitude", "longitude", "city"):
        assert hidden not in body
    raw = response.content.decode()
    assert "private.person" not in raw
    assert "52.52" not in raw
    assert "13.405" not in raw


def test_public_profile_has_no_distance_without_both_locations() -> None:
    person = make_user(latitude=52.52, longitude=13.405)

    anonymous = Client().get(f"{API}/users/{person.pk}")
    no_location = client_for(make_user()).get(f"{API}/users/{person.pk}")

    assert anonymous.status_code == 200
    assert anonymous.json()["distance_km"] is None
    assert no_location.json()["distance_km"] is None


def test_public_profile_of_an_unknown_or_inactive_user_is_404() -> None:
    inactive = make_user()
    inactive.is_active = False
    inactive.save()

    assert_error(Client().get(f"{API}/users/999999"), 404, "not_found")
    assert_error(Client().get(f"{API}/users/{inactive.pk}"), 404, "not_found")


def test_public_availability_raw_and_as_a_grid_in_the_viewers_zone() -> None:
    person = make_user(timezone="Europe/Berlin")
    services.availability_replace(
        actor=person, user=person, windows=[services.WindowInput(0, dt.time(9), dt.time(11))]
    )
    client = Client()

    raw = client.get(f"{API}/users/{person.pk}/availability")

    assert raw.status_code == 200
    assert raw.json() == {
        "owner_timezone": "Europe/Berlin",
        "windows": [{"weekday": 0, "start_time": "09:00:00", "end_time": "11:00:00"}],
        "grid": None,
    }

    # A winter week: Berlin is UTC+1, so 09:00-11:00 Berlin is 08:00-10:00 UTC on Monday.
    grid = client.get(
        f"{API}/users/{person.pk}/availability", {"tz": "UTC", "week_of": "2026-01-14"}
    ).json()["grid"]

    assert grid["timezone"] == "UTC"
    assert grid["days"][0] == {"name": "Mon", "date": "2026-01-12"}
    busy = {row["hour"] for row in grid["rows"] if row["slots"][0]}
    assert busy == {"08:00", "09:00"}
    assert len(grid["rows"]) == 24


def test_public_availability_with_an_unknown_zone_is_422_naming_tz() -> None:
    person = make_user()

    response = Client().get(f"{API}/users/{person.pk}/availability", {"tz": "Nowhere/Land"})

    assert_error(response, 422, "invalid_timezone", field="tz")


# --- catalogue --------------------------------------------------------------------------------


def test_institutions_are_listed_with_member_counts_and_paginated() -> None:
    big = Institution.objects.create(name="Zz Big University", slug="zz-big")
    InstitutionDomain.objects.create(institution=big, domain="zz-big.edu")
    Institution.objects.create(name="Zz Small College", slug="zz-small")
    for _ in range(2):
        make_user(institution=big)
    total = Institution.objects.count()  # the catalogue migration may have seeded some

    response = Client().get(f"{API}/institutions")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == total
    first = body["items"][0]  # the most members first
    assert (first["name"], first["member_count"], first["domains"]) == (
        "Zz Big University",
        2,
        ["zz-big.edu"],
    )

    page = Client().get(f"{API}/institutions", {"page": 2, "page_size": 1}).json()
    assert page["count"] == total
    assert len(page["items"]) == 1
    assert page["items"][0]["name"] != "Zz Big University"


def test_a_bad_page_number_is_422_naming_page() -> None:
    assert_error(Client().get(f"{API}/institutions", {"page": 0}), 422, "invalid", field="page")


def test_subjects_as_a_tree_and_as_search_results() -> None:
    topic = make_subject("Zeta shortest paths", parent_names=("Zeta computing", "Zeta algorithms"))
    make_subject("Zeta linear algebra", parent_names=("Zeta mathematics", "Zeta algebra"))
    client = Client()

    tree = client.get(f"{API}/subjects").json()

    computing = next(area for area in tree if area["name"] == "Zeta computing")
    assert computing["kind"] == "area"
    algorithms = computing["children"][0]
    assert algorithms["name"] == "Zeta algorithms"
    assert [t["id"] for t in algorithms["children"]] == [topic.pk]

    found = client.get(f"{API}/subjects", {"q": "zeta shortest"}).json()
    assert [(s["id"], s["kind"], s["children"]) for s in found] == [(topic.pk, "topic", [])]


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
