"""The scheduling part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py). Time is frozen on a Monday morning;
tutors are free 09:00-17:00 in their own zone unless a test says otherwise (conftest.py).

Every operation needs a caller; the OpenAPI document lists them."""

from __future__ import annotations

import pytest
from django.test import Client

from peerlearn.scheduling.tests.api.helpers import API, assert_error

pytestmark = pytest.mark.django_db


# --- authentication ---------------------------------------------------------------------------

EVERY_OPERATION = [
    ("get", "/tutors/1/slots"),
    ("post", "/bookings"),
    ("post", "/bookings/series"),
    ("get", "/bookings"),
    ("get", "/bookings/1"),
    ("get", "/bookings/1/invitation.ics"),
    ("post", "/bookings/1/accept"),
    ("post", "/bookings/1/decline"),
    ("post", "/bookings/1/counter"),
    ("post", "/bookings/1/counter/accept"),
    ("post", "/bookings/1/reschedule"),
    ("post", "/bookings/1/cancel"),
    ("post", "/bookings/1/complete"),
    ("post", "/bookings/1/no-show"),
    ("post", "/reschedule-proposals/1/respond"),
    ("get", "/group-sessions"),
    ("post", "/group-sessions"),
    ("post", "/group-sessions/1/seat"),
    ("delete", "/group-sessions/1/seat"),
    ("get", "/me/tutor-policy"),
    ("put", "/me/tutor-policy"),
    ("get", "/me/calendar-feed"),
    ("post", "/me/calendar-feed/regenerate"),
    ("get", "/users/1/reliability"),
]


@pytest.mark.parametrize(("method", "path"), EVERY_OPERATION)
def test_every_operation_needs_authentication(method: str, path: str) -> None:
    response = getattr(Client(), method)(f"{API}{path}", content_type="application/json")

    assert_error(response, 401, "not_authenticated")


def test_the_openapi_document_describes_the_scheduling_operations() -> None:
    paths = Client().get(f"{API}/openapi.json").json()["paths"]

    assert "/api/v1/tutors/{tutor_id}/slots" in paths
    assert set(paths["/api/v1/group-sessions/{booking_id}/seat"]) == {"post", "delete"}
    calendar = paths["/api/v1/bookings/{booking_id}/invitation.ics"]["get"]["responses"]["200"]
    assert "text/calendar" in calendar["content"]
