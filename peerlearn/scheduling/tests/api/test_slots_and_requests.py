"""The scheduling part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py). Time is frozen on a Monday morning;
tutors are free 09:00-17:00 in their own zone unless a test says otherwise (conftest.py).

Free slots, booking requests and weekly series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.scheduling.models import Booking, TimeClaim
from peerlearn.scheduling.tests.api.helpers import (
    API,
    NEW_YORK,
    SLOT,
    assert_error,
    booking_body,
    client_for,
    iso,
    post_json,
    requested,
    subject_of,
    utc,
)

pytestmark = pytest.mark.django_db


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
