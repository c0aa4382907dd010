"""Shared helpers of the scheduling API tests: constants, JSON clients, bookings made through
the services."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client

from peerlearn.accounts.models import User
from peerlearn.scheduling import services
from peerlearn.scheduling.models import Booking

API = "/api/v1"
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday
SLOT = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)  # Wednesday 10:00
NEW_YORK = ZoneInfo("America/New_York")


def client_for(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post_json(client: Client, path: str, data: Any = None) -> Any:
    return client.post(path, data if data is not None else {}, content_type="application/json")


def put_json(client: Client, path: str, data: Any) -> Any:
    return client.put(path, data, content_type="application/json")


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["fields"].get(field), body
    return body["error"]


def subject_of(tutor: User) -> int:
    return tutor.teaching_subjects.get().subject_id


def iso(moment: datetime) -> str:
    return moment.isoformat()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def booking_body(tutor: User, start: datetime = SLOT, **extra: Any) -> dict[str, Any]:
    body = {
        "tutor_id": tutor.pk,
        "subject_id": subject_of(tutor),
        "starts_at": iso(start),
        "duration_minutes": 60,
        "note": "Dijkstra please",
    }
    return body | extra


def requested(tutor: User, learner: User, start: datetime = SLOT) -> Booking:
    return services.booking_request(
        actor=learner,
        tutor_id=tutor.pk,
        subject_id=subject_of(tutor),
        starts_at=start,
        duration_minutes=60,
    )


def confirmed(tutor: User, learner: User, start: datetime = SLOT) -> Booking:
    booking = requested(tutor, learner, start)
    return services.booking_accept(actor=tutor, booking_id=booking.pk)


def group_session(tutor: User, capacity: int = 2) -> Booking:
    return services.group_session_create(
        actor=tutor,
        subject_id=subject_of(tutor),
        starts_at=SLOT,
        duration_minutes=90,
        capacity=capacity,
        title="Graph clinic",
    )
