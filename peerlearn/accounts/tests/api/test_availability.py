"""The accounts part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py).

Weekly availability and its exceptions; nobody writes another person's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from peerlearn.accounts import services
from peerlearn.accounts.models import (
    AvailabilityException,
    AvailabilityWindow,
)
from peerlearn.accounts.tests.api.helpers import (
    API,
    PROFILE,
    assert_error,
    client_for,
    post_json,
    put_json,
)
from peerlearn.common.testing import (
    make_user,
)

pytestmark = pytest.mark.django_db


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
