"""The scheduling part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py). Time is frozen on a Monday morning;
tutors are free 09:00-17:00 in their own zone unless a test says otherwise (conftest.py).

Calendar invitations and group sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from icalendar import Calendar

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_tutor, make_user
from peerlearn.scheduling import services
from peerlearn.scheduling.models import TimeClaim
from peerlearn.scheduling.tests.api.helpers import (
    API,
    SLOT,
    assert_error,
    client_for,
    confirmed,
    group_session,
    iso,
    post_json,
    requested,
    subject_of,
)

pytestmark = pytest.mark.django_db


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
