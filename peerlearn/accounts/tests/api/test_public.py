"""The accounts part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py).

Public profiles and availability; institutions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from peerlearn.accounts import services
from peerlearn.accounts.models import (
    Institution,
    InstitutionDomain,
)
from peerlearn.accounts.tests.api.helpers import API, assert_error, client_for
from peerlearn.common.testing import (
    make_subject,
    make_user,
)

pytestmark = pytest.mark.django_db


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
