"""The notifications part of the JSON API, through the test client with a browser session."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from peerlearn.api.testing import as_schema_writes
from peerlearn.common.testing import make_user
from peerlearn.notifications.models import Notification, NotificationSettings
from peerlearn.notifications.schemas import NotificationOut
from peerlearn.notifications.selectors import notification_list

from .factories import make_notification

pytestmark = pytest.mark.django_db

API = "/api/v1"
SETTINGS = f"{API}/me/notification-settings"


def client_for(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    if field is not None:
        assert body["error"]["fields"].get(field), body
    return body["error"]


def put_settings(client: Client, **overrides: Any) -> Any:
    data: dict[str, Any] = {
        "phone_number": "",
        "sms_opt_in": False,
        "reminder_offsets_minutes": [1440, 60],
        "email_enabled": True,
    }
    data.update(overrides)
    return client.put(SETTINGS, data, content_type="application/json")


class TestList:
    def test_it_needs_authentication(self):
        assert_error(client_for().get(f"{API}/notifications"), 401, "not_authenticated")

    def test_it_lists_only_mine_newest_first_paginated(self, settings):
        user = make_user()
        older = make_notification(user, title="Older", created_at=timezone.now().replace(year=2025))
        newer = make_notification(user, title="Newer", url="/sessions/1/")
        make_notification(make_user(), title="Not mine")
        response = client_for(user).get(f"{API}/notifications")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2
        assert [item["id"] for item in body["items"]] == [newer.pk, older.pk]
        item = body["items"][0]
        assert item == {
            "id": newer.pk,
            "kind": "message",
            "title": "Newer",
            "body": "Hello there.",
            "url": "/sessions/1/",
            "absolute_url": f"{settings.SITE_URL}/sessions/1/",
            "created_at": item["created_at"],
            "read_at": None,
            "is_read": False,
        }

    def test_the_unread_filter_and_count(self):
        user = make_user()
        make_notification(user, read_at=timezone.now())
        unread = make_notification(user)
        client = client_for(user)
        body = client.get(f"{API}/notifications", {"unread": "true"}).json()
        assert [item["id"] for item in body["items"]] == [unread.pk]
        assert client.get(f"{API}/notifications/unread-count").json() == {"unread": 1}

    def test_each_item_is_exactly_the_schema_of_its_notification(self, settings):
        user = make_user()
        make_notification(user, url="", read_at=timezone.now())
        make_notification(user, url="/sessions/7/", kind="booking_reminder")
        make_notification(user, created_at=timezone.now().replace(microsecond=0))
        request = RequestFactory().get("/")
        expected = as_schema_writes(NotificationOut, notification_list(user), request)

        body = client_for(user).get(f"{API}/notifications").json()

        assert body == {"items": expected, "count": 3}

    def test_a_page_and_its_total_are_one_query(self, django_assert_max_num_queries):
        user = make_user()
        for _ in range(30):
            make_notification(user)
        client = client_for(user)

        # At most: the session (without Redis), the user, their time zone, the page with its total.
        with django_assert_max_num_queries(4):
            body = client.get(f"{API}/notifications", {"page": 2, "page_size": 25}).json()
        assert body["count"] == 30 and len(body["items"]) == 5
        with django_assert_max_num_queries(5):  # past the end: the total needs its own count
            body = client.get(f"{API}/notifications", {"page": 9}).json()
        assert body == {"items": [], "count": 30}


class TestMarkRead:
    def test_it_marks_my_notification_read(self):
        user = make_user()
        n = make_notification(user)
        response = client_for(user).post(f"{API}/notifications/{n.pk}/read")
        assert response.status_code == 200
        assert response.json()["is_read"] is True and response.json()["read_at"]
        n.refresh_from_db()
        assert n.read_at is not None

    def test_someone_elses_notification_is_not_found(self):
        n = make_notification(make_user())
        response = client_for(make_user()).post(f"{API}/notifications/{n.pk}/read")
        assert_error(response, 404, "not_found")
        n.refresh_from_db()
        assert n.read_at is None

    def test_a_missing_notification_answers_the_same(self):
        n = make_notification(make_user())
        foreign = client_for(make_user()).post(f"{API}/notifications/{n.pk}/read").json()
        missing = client_for(make_user()).post(f"{API}/notifications/{n.pk + 99}/read").json()
        assert foreign == missing

    def test_read_all_marks_only_mine(self):
        user, other = make_user(), make_user()
        make_notification(user)
        make_notification(user)
        theirs = make_notification(other)
        response = client_for(user).post(f"{API}/notifications/read-all")
        assert response.status_code == 200 and response.json() == {"marked": 2}
        assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_reading_is_post_only(self):
        user = make_user()
        n = make_notification(user)
        assert_error(
            client_for(user).get(f"{API}/notifications/{n.pk}/read"), 405, "method_not_allowed"
        )

    def test_it_needs_authentication(self):
        n = make_notification(make_user())
        assert_error(
            client_for().post(f"{API}/notifications/{n.pk}/read"), 401, "not_authenticated"
        )
        assert_error(client_for().post(f"{API}/notifications/read-all"), 401, "not_authenticated")


class TestSettings:
    def test_get_returns_the_defaults_without_saving(self):
        response = client_for(make_user()).get(SETTINGS)
        assert response.status_code == 200
        assert response.json() == {
            "phone_number": "",
            "sms_opt_in": False,
            "reminder_offsets_minutes": [1440, 60],
            "email_enabled": True,
        }
        assert not NotificationSettings.objects.exists()

    def test_put_replaces_them(self):
        user = make_user()
        client = client_for(user)
        response = put_settings(
            client,
            phone_number="+44 7700 900123",
            sms_opt_in=True,
            reminder_offsets_minutes=[15, 2880, 15],
            email_enabled=False,
        )
        assert response.status_code == 200, response.content
        expected = {
            "phone_number": "+447700900123",
            "sms_opt_in": True,
            "reminder_offsets_minutes": [2880, 15],
            "email_enabled": False,
        }
        assert response.json() == expected
        assert client.get(SETTINGS).json() == expected

    def test_a_bad_number_names_the_field(self):
        response = put_settings(client_for(make_user()), phone_number="12345")
        assert_error(response, 422, "invalid_phone_number", field="phone_number")

    def test_text_messages_need_a_number(self):
        response = put_settings(client_for(make_user()), sms_opt_in=True)
        assert_error(response, 422, "phone_number_required", field="phone_number")

    @pytest.mark.parametrize(
        ("offsets", "code"),
        [
            ([1], "invalid_reminders"),
            ([20000], "invalid_reminders"),
            ([5, 10, 15, 20, 25, 30], "too_many_reminders"),
            (["60"], "invalid"),
            ([True], "invalid"),
            ([60.5], "invalid"),
        ],
    )
    def test_bad_reminder_times_name_the_field(self, offsets: list[Any], code: str):
        response = put_settings(client_for(make_user()), reminder_offsets_minutes=offsets)
        error = assert_error(response, 422, code)
        assert any(name.startswith("reminder_offsets_minutes") for name in error["fields"])

    def test_every_field_is_required(self):
        response = client_for(make_user()).put(
            SETTINGS, {"sms_opt_in": False}, content_type="application/json"
        )
        error = assert_error(response, 422, "invalid")
        assert {"phone_number", "reminder_offsets_minutes", "email_enabled"} <= set(error["fields"])

    def test_it_needs_authentication(self):
        assert_error(client_for().get(SETTINGS), 401, "not_authenticated")
        assert_error(put_settings(client_for()), 401, "not_authenticated")


def test_the_openapi_document_describes_the_endpoints():
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        f"{API}/notifications",
        f"{API}/notifications/unread-count",
        f"{API}/notifications/read-all",
        f"{API}/notifications/{{notification_id}}/read",
        SETTINGS,
    } <= set(paths)
    assert {"get", "put"} <= set(paths[SETTINGS])
