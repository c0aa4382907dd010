"""The scheduling part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py). Time is frozen on a Monday morning;
tutors are free 09:00-17:00 in their own zone unless a test says otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.scheduling import services
from peerlearn.scheduling.models import Booking, TimeClaim, TutorPolicy

pytestmark = pytest.mark.django_db

API = "/api/v1"
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday
SLOT = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)  # Wednesday 10:00
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Several accounts per test: hashing their passwords with Argon2 would dominate."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tutor() -> User:
    return make_tutor("tutor@example.org", display_name="Tara")


@pytest.fixture
def learner() -> User:
    return make_user("learner@example.org", display_name="Lee", timezone="America/New_York")


@pytest.fixture
def stranger() -> User:
    return make_user("stranger@example.org", display_name="Stan")


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


# --- slots ------------------------------------------------------------------------------------


class TestSlots:
    @pytest.fixture
    def berlin_tutor(self) -> User:
        """Mondays 18:00-19:00 Berlin time."""
        return make_tutor(timezone="Europe/Berlin", windows=[(0, "18:00", "19:00")])

    def slots(self, client: Client, tutor: User, **params: Any) -> Any:
        query = f"?{urlencode(params)}" if params else ""
        return client.get(f"{API}/tutors/{tutor.pk}/slots{query}")

    def test_slots_are_grouped_by_day_in_the_callers_zone_across_daylight_saving(
        self, berlin_tutor: User, learner: User
    ) -> None:
        response = self.slots(client_for(learner), berlin_tutor, duration=60)

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["timezone"] == "America/New_York" and body["duration_minutes"] == 60
        first_four = [(day["date"], day["slots"][0]) for day in body["days"][:4]]
        # 18:00 Berlin is 17:00 UTC in winter, 16:00 UTC in summer (from 28 March). New York
        # moves to summer time on 14 March, so for two weeks the gap is 5 hours, not 6.
        assert [(d, s["starts_at"], s["starts_at_local"]) for d, s in first_four] == [
            ("2027-03-08", "2027-03-08T17:00:00Z", "2027-03-08T12:00:00-05:00"),
            ("2027-03-15", "2027-03-15T17:00:00Z", "2027-03-15T13:00:00-04:00"),
            ("2027-03-22", "2027-03-22T17:00:00Z", "2027-03-22T13:00:00-04:00"),
            ("2027-03-29", "2027-03-29T16:00:00Z", "2027-03-29T12:00:00-04:00"),
        ]
        assert first_four[0][1]["ends_at"] == "2027-03-08T18:00:00Z"

    def test_tz_overrides_the_profile_zone(self, berlin_tutor: User, learner: User) -> None:
        # Monday 18:00 Berlin is Tuesday 02:00 in Tokyo.
        body = self.slots(client_for(learner), berlin_tutor, tz="Asia/Tokyo").json()

        assert body["timezone"] == "Asia/Tokyo"
        assert body["days"][0]["date"] == "2027-03-09"
        assert body["days"][0]["slots"][0]["starts_at_local"] == "2027-03-09T02:00:00+09:00"

    def test_from_and_to_bound_the_slots(self, tutor: User, learner: User) -> None:
        start = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)
        body = self.slots(
            client_for(learner),
            tutor,
            subject_id=subject_of(tutor),
            duration=90,
            **{"from": iso(start), "to": iso(start + timedelta(hours=3))},
        ).json()

        (day,) = body["days"]
        assert [utc(s["starts_at"]).strftime("%H:%M") for s in day["slots"]] == [
            "09:00",
            "09:30",
            "10:00",
            "10:30",
        ]
        assert body["subject_id"] == subject_of(tutor)

    def test_both_free_keeps_only_times_the_caller_is_free_too(self, tutor: User) -> None:
        learner = make_tutor(windows=[(2, "13:00", "15:00")], subject=make_subject("Heaps"))
        day = {
            "from": iso(datetime(2027, 3, 3, tzinfo=UTC)),
            "to": iso(datetime(2027, 3, 4, tzinfo=UTC)),
        }
        client = client_for(learner)

        everything = self.slots(client, tutor, **day).json()
        shared = self.slots(client, tutor, both_free="true", **day).json()

        assert len(everything["days"][0]["slots"]) == 15  # 09:00 .. 16:00
        assert shared["both_free"] is True
        assert [utc(s["starts_at"]).hour for s in shared["days"][0]["slots"]] == [13, 13, 14]

    def test_a_taken_slot_is_gone(self, tutor: User, learner: User) -> None:
        requested(tutor, make_user(), SLOT)
        day = {
            "from": iso(datetime(2027, 3, 3, tzinfo=UTC)),
            "to": iso(datetime(2027, 3, 4, tzinfo=UTC)),
        }

        body = self.slots(client_for(learner), tutor, **day).json()

        starts = {utc(s["starts_at"]) for s in body["days"][0]["slots"]}
        assert SLOT not in starts and SLOT + timedelta(minutes=30) not in starts
        assert SLOT + timedelta(hours=1, minutes=30) in starts  # after the 10-minute buffer

    @pytest.mark.parametrize(
        ("params", "code", "field"),
        [
            ({"duration": 50}, "invalid_duration", "duration"),
            ({"tz": "Mars/Olympus"}, "invalid_timezone", "tz"),
            ({"from": "2027-03-03T10:00:00"}, "naive_datetime", "from"),
            ({"to": "2027-03-03T10:00:00"}, "naive_datetime", "to"),
            ({"from": "2027-03-04T00:00Z", "to": "2027-03-03T00:00Z"}, "invalid_range", "to"),
            ({"from": "soon"}, "invalid", "from"),
            ({"subject_id": 999999}, "not_taught", "subject_id"),
        ],
    )
    def test_bad_input_is_a_422_naming_the_field(
        self, tutor: User, learner: User, params: dict[str, Any], code: str, field: str
    ) -> None:
        response = self.slots(client_for(learner), tutor, **params)

        assert_error(response, 422, code, field)

    def test_an_unknown_tutor_is_a_404(self, learner: User) -> None:
        response = client_for(learner).get(f"{API}/tutors/999999/slots")

        assert_error(response, 404, "not_found")


# --- requests ---------------------------------------------------------------------------------


class TestRequest:
    def test_a_learner_requests_a_slot(self, tutor: User, learner: User) -> None:
        response = post_json(client_for(learner), f"{API}/bookings", booking_body(tutor))

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "requested" and body["kind"] == "one_to_one"
        assert body["my_role"] == "learner"
        assert body["tutor"] == {"id": tutor.pk, "display_name": "Tara"}
        assert body["learners"] == [{"id": learner.pk, "display_name": "Lee"}]
        assert body["subject"]["id"] == subject_of(tutor)
        assert body["starts_at"] == "2027-03-03T10:00:00Z"
        assert body["ends_at"] == "2027-03-03T11:00:00Z"
        assert body["timezone"] == "America/New_York"
        assert body["starts_at_local"] == "2027-03-03T05:00:00-05:00"
        assert body["duration_minutes"] == 60 and body["note"] == "Dijkstra please"
        assert body["actions"] == ["cancel"]
        assert body["pending_reschedule"] is None
        assert [e["action"] for e in body["events"]] == ["request"]
        assert body["events"][0]["actor"]["id"] == learner.pk
        assert Booking.objects.get(pk=body["id"]).created_by == learner

    def test_a_time_given_in_another_offset_is_the_same_instant(
        self, tutor: User, learner: User
    ) -> None:
        in_new_york = SLOT.astimezone(NEW_YORK)

        body = post_json(
            client_for(learner), f"{API}/bookings", booking_body(tutor, in_new_york)
        ).json()

        assert body["starts_at"] == "2027-03-03T10:00:00Z"

    def test_two_learners_asking_for_the_same_slot_the_second_gets_a_409(
        self, tutor: User, learner: User
    ) -> None:
        assert (
            post_json(client_for(learner), f"{API}/bookings", booking_body(tutor)).status_code
            == 201
        )

        response = post_json(client_for(make_user()), f"{API}/bookings", booking_body(tutor))

        error = assert_error(response, 409, "slot_unavailable")
        assert error["fields"] == {}
        assert Booking.objects.count() == 1

    def test_a_learner_cannot_be_in_two_sessions_at_once(self, tutor: User, learner: User) -> None:
        other = make_tutor(display_name="Otto")
        requested(tutor, learner, SLOT)

        response = post_json(
            client_for(learner),
            f"{API}/bookings",
            booking_body(other, SLOT + timedelta(minutes=30)),
        )

        assert_error(response, 409, "overlap")
        assert not TimeClaim.objects.filter(user=other).exists()

    @pytest.mark.parametrize(
        ("change", "code", "field"),
        [
            ({"duration_minutes": 50}, "invalid_duration", "duration_minutes"),
            ({"starts_at": "2027-03-03T10:00:00"}, "naive_datetime", "starts_at"),
            ({"starts_at": "next week"}, "invalid", "starts_at"),
            ({"note": "x" * 501}, "invalid", "note"),
            ({"subject_id": 999999}, "not_taught", "subject_id"),
        ],
    )
    def test_bad_input_is_a_422_naming_the_field(
        self, tutor: User, learner: User, change: dict[str, Any], code: str, field: str
    ) -> None:
        response = post_json(client_for(learner), f"{API}/bookings", booking_body(tutor, **change))

        assert_error(response, 422, code, field)
        assert not Booking.objects.exists()

    def test_a_missing_field_is_named(self, tutor: User, learner: User) -> None:
        body = booking_body(tutor)
        del body["starts_at"]

        response = post_json(client_for(learner), f"{API}/bookings", body)

        assert_error(response, 422, "invalid", "starts_at")

    def test_a_time_outside_the_availability_is_a_409(self, tutor: User, learner: User) -> None:
        evening = datetime(2027, 3, 3, 20, 0, tzinfo=UTC)

        response = post_json(client_for(learner), f"{API}/bookings", booking_body(tutor, evening))

        assert_error(response, 409, "slot_unavailable")

    def test_booking_yourself_or_an_unknown_tutor_is_refused(self, tutor: User) -> None:
        client = client_for(tutor)

        assert_error(
            post_json(client, f"{API}/bookings", booking_body(tutor)),
            422,
            "self_booking",
            "tutor_id",
        )
        unknown = booking_body(tutor, tutor_id=999999)
        assert_error(post_json(client, f"{API}/bookings", unknown), 404, "not_found")


class TestSeries:
    def body(self, tutor: User, **extra: Any) -> dict[str, Any]:
        body = {
            "tutor_id": tutor.pk,
            "subject_id": subject_of(tutor),
            "first_starts_at": iso(SLOT),
            "duration_minutes": 60,
            "occurrences": 3,
            "note": "Weekly graphs",
        }
        return body | extra

    def test_free_weeks_are_booked_and_conflicts_reported_one_by_one(
        self, tutor: User, learner: User
    ) -> None:
        requested(tutor, make_user(), SLOT + timedelta(weeks=1))

        response = post_json(client_for(learner), f"{API}/bookings/series", self.body(tutor))

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["booked"], body["failed"]) == (2, 1)
        assert body["timezone"] == "America/New_York"
        first, second, third = body["occurrences"]
        assert [o["starts_at"] for o in body["occurrences"]] == [
            "2027-03-03T10:00:00Z",
            "2027-03-10T10:00:00Z",
            "2027-03-17T10:00:00Z",
        ]
        assert third["starts_at_local"] == "2027-03-17T06:00:00-04:00"  # New York on summer time
        assert first["booking_id"] and third["booking_id"] and not first["error"]
        assert second["booking_id"] is None and second["error"]
        series_ids = set(
            Booking.objects.filter(pk__in=[first["booking_id"], third["booking_id"]]).values_list(
                "series_id", flat=True
            )
        )
        assert series_ids == {body["series_id"]}

    @pytest.mark.parametrize(
        ("change", "code", "field"),
        [
            ({"occurrences": 1}, "invalid_occurrences", "occurrences"),
            ({"duration_minutes": 50}, "invalid_duration", "duration_minutes"),
            ({"first_starts_at": "2027-03-03T10:00:00"}, "naive_datetime", "first_starts_at"),
        ],
    )
    def test_bad_input_is_a_422_naming_the_field(
        self, tutor: User, learner: User, change: dict[str, Any], code: str, field: str
    ) -> None:
        response = post_json(
            client_for(learner), f"{API}/bookings/series", self.body(tutor, **change)
        )

        assert_error(response, 422, code, field)
        assert not Booking.objects.exists()

    def test_an_unknown_tutor_is_a_404(self, tutor: User, learner: User) -> None:
        response = post_json(
            client_for(learner), f"{API}/bookings/series", self.body(tutor, tutor_id=999999)
        )

        assert_error(response, 404, "not_found")


# --- my sessions ------------------------------------------------------------------------------


class TestMySessions:
    def ids(self, client: Client, view: str) -> list[int]:
        response = client.get(f"{API}/bookings?view={view}")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] == len(body["items"])
        return [item["id"] for item in body["items"]]

    def test_each_view_lists_its_sessions_for_each_side(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        pending = requested(tutor, learner, SLOT)
        upcoming = confirmed(tutor, learner, SLOT + timedelta(days=1))
        past = confirmed(tutor, learner, SLOT + timedelta(hours=3))
        cancelled = requested(tutor, learner, SLOT + timedelta(days=2))
        services.booking_cancel(actor=learner, booking_id=cancelled.pk, reason="Exam")
        frozen_time.move_to(SLOT + timedelta(hours=5))
        as_tutor, as_learner = client_for(tutor), client_for(learner)

        assert self.ids(as_learner, "outgoing") == [pending.pk]
        assert self.ids(as_tutor, "outgoing") == []
        assert self.ids(as_tutor, "incoming") == [pending.pk]
        assert self.ids(as_learner, "incoming") == []
        assert self.ids(as_learner, "upcoming") == [upcoming.pk] == self.ids(as_tutor, "upcoming")
        assert self.ids(as_learner, "past") == [past.pk]
        assert self.ids(as_tutor, "cancelled") == [cancelled.pk]
        assert self.ids(client_for(make_user()), "upcoming") == []

    def test_the_default_view_is_upcoming_and_items_carry_their_actions(
        self, tutor: User, learner: User
    ) -> None:
        booking = confirmed(tutor, learner)

        body = client_for(tutor).get(f"{API}/bookings").json()

        (item,) = body["items"]
        assert item["id"] == booking.pk and item["my_role"] == "tutor"
        assert item["timezone"] == "UTC" and item["starts_at_local"] == "2027-03-03T10:00:00Z"
        assert item["actions"] == ["reschedule", "cancel"]
        assert "events" not in item

    def test_the_list_is_paginated(self, tutor: User, learner: User) -> None:
        for day in range(3):
            requested(tutor, learner, SLOT + timedelta(days=day))

        body = client_for(learner).get(f"{API}/bookings?view=outgoing&page_size=2&page=2").json()

        assert body["count"] == 3 and len(body["items"]) == 1

    def test_an_unknown_view_is_a_422(self, learner: User) -> None:
        response = client_for(learner).get(f"{API}/bookings?view=everything")

        assert_error(response, 422, "invalid", "view")


class TestDetail:
    def test_participants_see_the_history_and_a_pending_reschedule(
        self, tutor: User, learner: User
    ) -> None:
        booking = confirmed(tutor, learner)
        proposal = services.booking_reschedule_propose(
            actor=learner, booking_id=booking.pk, starts_at=SLOT + timedelta(days=1)
        )

        as_tutor = client_for(tutor).get(f"{API}/bookings/{booking.pk}").json()
        as_learner = client_for(learner).get(f"{API}/bookings/{booking.pk}").json()

        assert [e["action"] for e in as_tutor["events"]] == [
            "request",
            "accept",
            "propose_reschedule",
        ]
        accept = as_tutor["events"][1]
        assert accept["actor"]["id"] == tutor.pk
        assert (accept["from_status"], accept["to_status"]) == ("requested", "confirmed")
        assert as_tutor["starts_at"] == "2027-03-03T10:00:00Z"  # the original stands
        pending = as_tutor["pending_reschedule"]
        assert pending["id"] == proposal.pk and pending["proposed_by"]["id"] == learner.pk
        assert pending["starts_at"] == "2027-03-04T10:00:00Z" and pending["mine"] is False
        assert as_learner["pending_reschedule"]["mine"] is True
        assert "respond_reschedule" in as_tutor["actions"]
        assert "respond_reschedule" not in as_learner["actions"]

    def test_a_stranger_and_a_missing_booking_look_the_same(
        self, tutor: User, learner: User, stranger: User
    ) -> None:
        booking = confirmed(tutor, learner)
        client = client_for(stranger)

        assert_error(client.get(f"{API}/bookings/{booking.pk}"), 404, "not_found")
        assert_error(client.get(f"{API}/bookings/999999"), 404, "not_found")


# --- the lifecycle ----------------------------------------------------------------------------


class TestAnswers:
    def test_the_tutor_accepts(self, tutor: User, learner: User) -> None:
        booking = requested(tutor, learner)

        response = post_json(client_for(tutor), f"{API}/bookings/{booking.pk}/accept")

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "confirmed" and body["sequence"] == 1
        assert body["actions"] == ["reschedule", "cancel"]

    def test_the_learner_cannot_accept_their_own_request(self, tutor: User, learner: User) -> None:
        booking = requested(tutor, learner)

        response = post_json(client_for(learner), f"{API}/bookings/{booking.pk}/accept")

        assert_error(response, 403, "forbidden")

    def test_accepting_twice_is_an_illegal_transition(self, tutor: User, learner: User) -> None:
        booking = confirmed(tutor, learner)

        response = post_json(client_for(tutor), f"{API}/bookings/{booking.pk}/accept")

        assert_error(response, 409, "illegal_transition")

    def test_a_request_whose_start_passed_can_only_be_declined(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        """The page, the API's actions and the service agree (issue 18): the API used to list
        "accept" and the service accepted a request for a time already gone."""
        booking = requested(tutor, learner)
        frozen_time.move_to(SLOT + timedelta(minutes=5))

        detail = client_for(tutor).get(f"{API}/bookings/{booking.pk}").json()
        accepted = post_json(client_for(tutor), f"{API}/bookings/{booking.pk}/accept")
        page = client_for(tutor).get(f"/sessions/{booking.pk}/").content.decode()

        assert detail["actions"] == ["decline"]
        assert_error(accepted, 409, "started")
        assert "Decline…" in page and ">Accept</button>" not in page
        assert client_for(learner).get(f"{API}/bookings/{booking.pk}").json()["actions"] == []
        booking.refresh_from_db()
        assert booking.status == Booking.Status.REQUESTED

    def test_the_tutor_declines_with_a_reason(self, tutor: User, learner: User) -> None:
        booking = requested(tutor, learner)

        response = post_json(
            client_for(tutor), f"{API}/bookings/{booking.pk}/decline", {"reason": "Away that week"}
        )

        body = response.json()
        assert body["status"] == "declined"
        assert body["learners"] == [{"id": learner.pk, "display_name": "Lee"}]
        assert body["events"][-1]["reason"] == "Away that week"
        assert not TimeClaim.objects.filter(booking=booking, active=True).exists()

    @pytest.mark.parametrize(("body", "code"), [({"reason": "  "}, "required"), ({}, "invalid")])
    def test_a_decline_needs_a_reason(
        self, tutor: User, learner: User, body: dict[str, Any], code: str
    ) -> None:
        booking = requested(tutor, learner)

        response = post_json(client_for(tutor), f"{API}/bookings/{booking.pk}/decline", body)

        assert_error(response, 422, code, "reason")

    def test_counter_proposal_then_the_learner_accepts(self, tutor: User, learner: User) -> None:
        booking = requested(tutor, learner)
        later = SLOT + timedelta(hours=3)

        countered = post_json(
            client_for(tutor),
            f"{API}/bookings/{booking.pk}/counter",
            {"starts_at": iso(later), "note": "Afternoon works better"},
        ).json()
        assert (
            countered["status"] == "countered" and countered["starts_at"] == "2027-03-03T13:00:00Z"
        )
        assert countered["actions"] == ["cancel"]
        as_learner = client_for(learner)
        assert as_learner.get(f"{API}/bookings/{booking.pk}").json()["actions"] == [
            "counter_accept",
            "decline",
            "cancel",
        ]
        assert_error(
            post_json(client_for(tutor), f"{API}/bookings/{booking.pk}/counter/accept"),
            403,
            "forbidden",
        )

        accepted = post_json(as_learner, f"{API}/bookings/{booking.pk}/counter/accept").json()

        assert accepted["status"] == "confirmed"
        assert accepted["events"][-1]["action"] == "accept_counter"

    def test_the_learner_declines_a_counter_proposal(self, tutor: User, learner: User) -> None:
        booking = requested(tutor, learner)
        services.booking_counter(
            actor=tutor, booking_id=booking.pk, starts_at=SLOT + timedelta(hours=3)
        )

        response = post_json(
            client_for(learner), f"{API}/bookings/{booking.pk}/decline", {"reason": "Can't then"}
        )

        assert response.json()["status"] == "declined"

    def test_a_counter_proposal_needs_an_aware_time(self, tutor: User, learner: User) -> None:
        booking = requested(tutor, learner)

        response = post_json(
            client_for(tutor),
            f"{API}/bookings/{booking.pk}/counter",
            {"starts_at": "2027-03-03T13:00:00"},
        )

        assert_error(response, 422, "naive_datetime", "starts_at")

    def test_only_a_request_can_be_countered(self, tutor: User, learner: User) -> None:
        booking = confirmed(tutor, learner)

        response = post_json(
            client_for(tutor),
            f"{API}/bookings/{booking.pk}/counter",
            {"starts_at": iso(SLOT + timedelta(hours=3))},
        )

        assert_error(response, 409, "illegal_transition")


class TestConfirmedSessions:
    def test_reschedule_is_proposed_and_the_other_side_accepts(
        self, tutor: User, learner: User
    ) -> None:
        booking = confirmed(tutor, learner)
        new_time = SLOT + timedelta(days=1)

        proposed = post_json(
            client_for(learner),
            f"{API}/bookings/{booking.pk}/reschedule",
            {"starts_at": iso(new_time.astimezone(NEW_YORK))},
        ).json()
        assert proposed["starts_at"] == "2027-03-03T10:00:00Z"
        proposal_id = proposed["pending_reschedule"]["id"]
        assert_error(
            post_json(
                client_for(learner),
                f"{API}/reschedule-proposals/{proposal_id}/respond",
                {"accept": True},
            ),
            403,
            "forbidden",
        )

        moved = post_json(
            client_for(tutor),
            f"{API}/reschedule-proposals/{proposal_id}/respond",
            {"accept": True},
        ).json()

        assert moved["starts_at"] == "2027-03-04T10:00:00Z" and moved["sequence"] == 2
        assert moved["pending_reschedule"] is None
        again = post_json(
            client_for(tutor),
            f"{API}/reschedule-proposals/{proposal_id}/respond",
            {"accept": False},
        )
        assert_error(again, 409, "illegal_transition")

    def test_a_declined_reschedule_keeps_the_original_time(
        self, tutor: User, learner: User
    ) -> None:
        booking = confirmed(tutor, learner)
        proposal = services.booking_reschedule_propose(
            actor=tutor, booking_id=booking.pk, starts_at=SLOT + timedelta(days=1)
        )

        kept = post_json(
            client_for(learner),
            f"{API}/reschedule-proposals/{proposal.pk}/respond",
            {"accept": False},
        ).json()

        assert kept["starts_at"] == "2027-03-03T10:00:00Z" and kept["pending_reschedule"] is None

    def test_rescheduling_a_request_is_an_illegal_transition(
        self, tutor: User, learner: User
    ) -> None:
        booking = requested(tutor, learner)

        response = post_json(
            client_for(learner),
            f"{API}/bookings/{booking.pk}/reschedule",
            {"starts_at": iso(SLOT + timedelta(days=1))},
        )

        assert_error(response, 409, "illegal_transition")

    def test_cancel_with_a_reason_inside_the_cutoff_is_late(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        booking = confirmed(tutor, learner)
        frozen_time.move_to(SLOT - timedelta(hours=3))

        body = post_json(
            client_for(tutor), f"{API}/bookings/{booking.pk}/cancel", {"reason": "Sick"}
        ).json()

        assert body["status"] == "cancelled" and body["cancelled_late"] is True
        assert body["actions"] == []
        again = post_json(client_for(tutor), f"{API}/bookings/{booking.pk}/cancel", {"reason": "x"})
        assert_error(again, 409, "illegal_transition")

    def test_a_cancel_needs_a_reason(self, tutor: User, learner: User) -> None:
        booking = confirmed(tutor, learner)

        response = post_json(
            client_for(tutor), f"{API}/bookings/{booking.pk}/cancel", {"reason": ""}
        )

        assert_error(response, 422, "required", "reason")

    def test_complete_only_after_the_end(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        booking = confirmed(tutor, learner)
        client = client_for(learner)
        assert_error(post_json(client, f"{API}/bookings/{booking.pk}/complete"), 409, "too_early")
        frozen_time.move_to(SLOT + timedelta(hours=2))
        assert client.get(f"{API}/bookings/{booking.pk}").json()["actions"] == [
            "complete",
            "no_show",
        ]

        body = post_json(client, f"{API}/bookings/{booking.pk}/complete").json()

        assert body["status"] == "completed"
        assert_error(
            post_json(client, f"{API}/bookings/{booking.pk}/complete"), 409, "illegal_transition"
        )

    def test_completing_a_request_is_an_illegal_transition(
        self, tutor: User, learner: User
    ) -> None:
        booking = requested(tutor, learner)

        response = post_json(client_for(tutor), f"{API}/bookings/{booking.pk}/complete")

        assert_error(response, 409, "illegal_transition")

    def test_a_no_show_names_the_other_participant(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        booking = confirmed(tutor, learner)
        frozen_time.move_to(SLOT + timedelta(hours=2))
        client = client_for(tutor)
        path = f"{API}/bookings/{booking.pk}/no-show"
        assert_error(
            post_json(client, path, {"absent_user_id": tutor.pk}),
            422,
            "invalid_participant",
            "absent_user_id",
        )

        body = post_json(client, path, {"absent_user_id": learner.pk}).json()

        assert body["status"] == "no_show" and body["no_show_user_id"] == learner.pk


STRANGER_ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("accept", {}),
    ("decline", {"reason": "No"}),
    ("counter", {"starts_at": "2027-03-03T13:00:00Z"}),
    ("counter/accept", {}),
    ("reschedule", {"starts_at": "2027-03-04T10:00:00Z"}),
    ("cancel", {"reason": "No"}),
    ("complete", {}),
    ("no-show", {"absent_user_id": 1}),
]


@pytest.mark.parametrize(("action", "body"), STRANGER_ACTIONS)
@pytest.mark.parametrize("state", ["requested", "confirmed"])
def test_a_stranger_gets_a_404_for_every_action(
    tutor: User, learner: User, stranger: User, action: str, body: dict[str, Any], state: str
) -> None:
    booking = requested(tutor, learner) if state == "requested" else confirmed(tutor, learner)

    response = post_json(client_for(stranger), f"{API}/bookings/{booking.pk}/{action}", body)

    assert_error(response, 404, "not_found")
    booking.refresh_from_db()
    assert booking.status == state


def test_a_stranger_cannot_answer_a_reschedule_proposal(
    tutor: User, learner: User, stranger: User
) -> None:
    booking = confirmed(tutor, learner)
    proposal = services.booking_reschedule_propose(
        actor=tutor, booking_id=booking.pk, starts_at=SLOT + timedelta(days=1)
    )

    response = post_json(
        client_for(stranger), f"{API}/reschedule-proposals/{proposal.pk}/respond", {"accept": True}
    )

    assert_error(response, 404, "not_found")


# --- invitations ------------------------------------------------------------------------------


class TestInvitation:
    def test_a_participant_downloads_the_invitation(self, tutor: User, learner: User) -> None:
        booking = confirmed(tutor, learner)

        response = client_for(learner).get(f"{API}/bookings/{booking.pk}/invitation.ics")

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        assert response["Cache-Control"] == "private, no-store"
        cal = Calendar.from_ical(response.content)
        assert cal["METHOD"] == "REQUEST"
        (event,) = cal.walk("VEVENT")
        assert str(event["UID"]) == f"{booking.uid}@peerlearn"
        assert int(str(event["SEQUENCE"])) == 1
        assert event.decoded("DTSTART") == SLOT

    def test_a_cancelled_session_gets_a_cancel_invitation(self, tutor: User, learner: User) -> None:
        booking = confirmed(tutor, learner)
        services.booking_cancel(actor=tutor, booking_id=booking.pk, reason="Sick")

        response = client_for(learner).get(f"{API}/bookings/{booking.pk}/invitation.ics")

        cal = Calendar.from_ical(response.content)
        assert cal["METHOD"] == "CANCEL" and int(str(cal.walk("VEVENT")[0]["SEQUENCE"])) == 2

    def test_a_pending_request_has_no_invitation(self, tutor: User, learner: User) -> None:
        booking = requested(tutor, learner)

        response = client_for(learner).get(f"{API}/bookings/{booking.pk}/invitation.ics")

        assert_error(response, 409, "not_confirmed")

    def test_a_stranger_gets_a_404(self, tutor: User, learner: User, stranger: User) -> None:
        booking = confirmed(tutor, learner)

        response = client_for(stranger).get(f"{API}/bookings/{booking.pk}/invitation.ics")

        assert_error(response, 404, "not_found")


# --- group sessions ---------------------------------------------------------------------------


class TestGroupSessions:
    def test_a_tutor_offers_a_group_session(self, tutor: User) -> None:
        response = post_json(
            client_for(tutor),
            f"{API}/group-sessions",
            {
                "subject_id": subject_of(tutor),
                "starts_at": iso(SLOT),
                "duration_minutes": 90,
                "capacity": 3,
                "title": "Graph clinic",
            },
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["title"] == "Graph clinic" and body["status"] == "confirmed"
        assert (body["capacity"], body["seats_taken"], body["seats_left"]) == (3, 0, 3)
        assert body["starts_at"] == "2027-03-03T10:00:00Z"
        assert body["ends_at"] == "2027-03-03T11:30:00Z"
        assert body["joined"] is False

    @pytest.mark.parametrize(
        ("change", "code", "field"),
        [
            ({"capacity": 1}, "invalid_capacity", "capacity"),
            ({"duration_minutes": 50}, "invalid_duration", "duration_minutes"),
            ({"starts_at": "2027-03-03T10:00:00"}, "naive_datetime", "starts_at"),
            ({"subject_id": 999999}, "not_taught", "subject_id"),
        ],
    )
    def test_bad_input_is_a_422_naming_the_field(
        self, tutor: User, change: dict[str, Any], code: str, field: str
    ) -> None:
        body = {
            "subject_id": subject_of(tutor),
            "starts_at": iso(SLOT),
            "duration_minutes": 90,
            "capacity": 3,
            "title": "Graph clinic",
        }

        response = post_json(client_for(tutor), f"{API}/group-sessions", body | change)

        assert_error(response, 422, code, field)

    def test_learners_take_seats_until_it_is_full_and_give_them_back(self, tutor: User) -> None:
        group = group_session(tutor, capacity=2)
        a, b, c = make_user(), make_user(), make_user()
        seat = f"{API}/group-sessions/{group.pk}/seat"

        taken = post_json(client_for(a), seat).json()
        assert (taken["seats_taken"], taken["seats_left"], taken["joined"]) == (1, 1, True)
        assert post_json(client_for(b), seat).json()["seats_left"] == 0
        assert_error(post_json(client_for(c), seat), 409, "full")
        detail = f"{API}/bookings/{group.pk}"
        assert client_for(a).get(detail).json()["actions"] == ["leave"]
        assert client_for(tutor).get(detail).json()["actions"] == ["cancel"]

        released = client_for(a).delete(seat)

        assert released.status_code == 200, released.content
        assert (released.json()["seats_taken"], released.json()["joined"]) == (1, False)
        assert post_json(client_for(c), seat).json()["seats_taken"] == 2
        assert client_for(a).get(detail).json()["actions"] == []

    def test_the_list_shows_open_sessions_with_their_seats(self, tutor: User) -> None:
        group = group_session(tutor, capacity=3)
        learner = make_user()
        services.group_seat_take(actor=learner, booking_id=group.pk)
        requested(make_tutor(display_name="Otto"), make_user(), SLOT)  # not a group session

        body = client_for(learner).get(f"{API}/group-sessions").json()
        by_tutor = client_for(learner).get(f"{API}/group-sessions?tutor_id={learner.pk}").json()

        assert body["count"] == 1
        (item,) = body["items"]
        assert item["id"] == group.pk and item["tutor"]["id"] == tutor.pk
        assert (item["seats_taken"], item["seats_left"], item["joined"]) == (1, 2, True)
        assert by_tutor["count"] == 0

    def test_giving_back_a_seat_you_do_not_hold_is_a_404(self, tutor: User, learner: User) -> None:
        group = group_session(tutor)
        one_to_one = confirmed(tutor, learner, SLOT + timedelta(days=1))

        assert_error(
            client_for(learner).delete(f"{API}/group-sessions/{group.pk}/seat"), 404, "not_found"
        )
        refused = client_for(learner).delete(f"{API}/group-sessions/{one_to_one.pk}/seat")
        assert_error(refused, 404, "not_found")
        assert TimeClaim.objects.get(booking=one_to_one, user=learner).active

    def test_a_one_to_one_booking_has_no_seats_to_take(
        self, tutor: User, learner: User, stranger: User
    ) -> None:
        booking = confirmed(tutor, learner)

        response = post_json(client_for(stranger), f"{API}/group-sessions/{booking.pk}/seat")

        assert_error(response, 404, "not_found")


# --- policy, calendar feed, reliability -------------------------------------------------------


class TestTutorPolicy:
    POLICY = {
        "buffer_before_minutes": 15,
        "buffer_after_minutes": 0,
        "min_notice_hours": 48,
        "max_sessions_per_day": 2,
        "horizon_weeks": 4,
    }

    def test_the_defaults_then_a_replacement(self, tutor: User) -> None:
        client = client_for(tutor)
        assert client.get(f"{API}/me/tutor-policy").json() == {
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 10,
            "min_notice_hours": 12,
            "max_sessions_per_day": 4,
            "horizon_weeks": 8,
        }

        response = put_json(client, f"{API}/me/tutor-policy", self.POLICY)

        assert response.status_code == 200, response.content
        assert response.json() == self.POLICY
        assert client.get(f"{API}/me/tutor-policy").json() == self.POLICY
        assert TutorPolicy.objects.get(user=tutor).min_notice_hours == 48

    def test_the_policy_shapes_the_slots(self, tutor: User, learner: User) -> None:
        put_json(client_for(tutor), f"{API}/me/tutor-policy", self.POLICY)

        body = client_for(learner).get(f"{API}/tutors/{tutor.pk}/slots?tz=UTC").json()

        first = utc(body["days"][0]["slots"][0]["starts_at"])
        assert first >= NOW + timedelta(hours=48)
        assert utc(body["days"][-1]["slots"][-1]["starts_at"]) < NOW + timedelta(weeks=4)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"buffer_before_minutes": 121}, "buffer_before_minutes"),
            ({"max_sessions_per_day": 0}, "max_sessions_per_day"),
            ({"horizon_weeks": 27}, "horizon_weeks"),
        ],
    )
    def test_out_of_range_values_are_named(
        self, tutor: User, change: dict[str, Any], field: str
    ) -> None:
        response = put_json(client_for(tutor), f"{API}/me/tutor-policy", self.POLICY | change)

        assert_error(response, 422, "out_of_range", field)

    def test_put_replaces_the_whole_policy(self, tutor: User) -> None:
        partial = {"buffer_before_minutes": 5}

        response = put_json(client_for(tutor), f"{API}/me/tutor-policy", partial)

        assert_error(response, 422, "invalid", "horizon_weeks")


class TestCalendarFeed:
    def test_the_private_url_serves_the_feed_and_regenerating_revokes_it(
        self, tutor: User, learner: User
    ) -> None:
        confirmed(tutor, learner)
        client = client_for(learner)
        old = client.get(f"{API}/me/calendar-feed").json()
        assert old["url"].startswith("http") and old["url"].endswith(".ics")
        assert old["webcal_url"] == "webcal://" + old["url"].split("://", 1)[1]
        assert client.get(f"{API}/me/calendar-feed").json() == old  # stable until regenerated
        old_path = "/" + old["url"].split("://", 1)[1].split("/", 1)[1]
        feed = Calendar.from_ical(Client().get(old_path).content)
        assert len(feed.walk("VEVENT")) == 1

        new = post_json(client, f"{API}/me/calendar-feed/regenerate").json()

        assert new["url"] != old["url"]
        assert Client().get(old_path).status_code == 404
        new_path = "/" + new["url"].split("://", 1)[1].split("/", 1)[1]
        assert Client().get(new_path).status_code == 200


class TestReliability:
    def test_late_cancellations_and_no_shows_count(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        late = confirmed(tutor, learner)
        missed = confirmed(tutor, learner, SLOT + timedelta(days=1))
        frozen_time.move_to(SLOT - timedelta(hours=1))
        services.booking_cancel(actor=learner, booking_id=late.pk, reason="Overslept")
        frozen_time.move_to(SLOT + timedelta(days=1, hours=2))
        services.booking_mark_no_show(actor=tutor, booking_id=missed.pk, absent_user_id=learner.pk)

        body = client_for(tutor).get(f"{API}/users/{learner.pk}/reliability").json()
        of_tutor = client_for(learner).get(f"{API}/users/{tutor.pk}/reliability").json()

        assert body == {
            "user_id": learner.pk,
            "sessions": 2,
            "late_cancellations": 1,
            "no_shows": 1,
            "score": round(5 / 7, 4),
            "percent": 71,
        }
        assert (of_tutor["late_cancellations"], of_tutor["no_shows"], of_tutor["percent"]) == (
            0,
            0,
            100,
        )

    def test_an_unknown_person_is_a_404(self, learner: User) -> None:
        response = client_for(learner).get(f"{API}/users/999999/reliability")

        assert_error(response, 404, "not_found")


def test_the_openapi_document_describes_the_scheduling_operations() -> None:
    paths = Client().get(f"{API}/openapi.json").json()["paths"]

    assert "/api/v1/tutors/{tutor_id}/slots" in paths
    assert set(paths["/api/v1/group-sessions/{booking_id}/seat"]) == {"post", "delete"}
    calendar = paths["/api/v1/bookings/{booking_id}/invitation.ics"]["get"]["responses"]["200"]
    assert "text/calendar" in calendar["content"]


def test_dates_are_the_callers_own_days() -> None:
    """A session late on Wednesday evening in Honolulu is on Wednesday for them and on Thursday
    in UTC; the local fields say so."""
    honolulu = make_user(timezone="Pacific/Honolulu")
    late = datetime(2027, 3, 4, 6, 0, tzinfo=UTC)  # 20:00 Wednesday in Honolulu
    night_tutor = make_tutor(windows=[(3, "05:00", "08:00")], display_name="Nia")

    body = post_json(
        client_for(honolulu), f"{API}/bookings", booking_body(night_tutor, late)
    ).json()

    assert body["starts_at"] == "2027-03-04T06:00:00Z"
    assert datetime.fromisoformat(body["starts_at_local"]).date() == date(2027, 3, 3)


# --- the list's items and queries ---------------------------------------------------------------


@pytest.mark.parametrize("view", ["upcoming", "incoming", "outgoing"])
def test_listed_bookings_are_exactly_their_schema(
    view: str, tutor: User, learner: User, stranger: User
) -> None:
    from django.test import RequestFactory

    from peerlearn.api.testing import as_schema_writes
    from peerlearn.scheduling import selectors
    from peerlearn.scheduling.schemas import BookingOut

    moved = confirmed(tutor, learner, SLOT + timedelta(days=3))
    services.booking_reschedule_propose(
        actor=tutor, booking_id=moved.pk, starts_at=SLOT + timedelta(days=4)
    )
    requested(tutor, learner, SLOT + timedelta(days=5))
    seats = group_session(tutor)
    services.group_seat_take(actor=learner, booking_id=seats.pk)
    services.group_seat_take(actor=stranger, booking_id=seats.pk)
    for viewer in (learner, tutor):
        request = RequestFactory().get("/")
        request.user = viewer
        expected = as_schema_writes(BookingOut, selectors.sessions_for(user=viewer)[view], request)

        body = client_for(viewer).get(f"{API}/bookings", {"view": view}).json()

        assert body == {"items": expected, "count": len(expected)}


def test_the_booking_list_queries_do_not_grow_with_the_page(tutor: User, learner: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for day in range(4):
        confirmed(tutor, learner, SLOT + timedelta(days=day + 1))
    client = client_for(learner)

    def count(query: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/bookings?{query}").status_code == 200
        return len(queries.captured_queries)

    assert count("page_size=1") == count("page_size=20")
