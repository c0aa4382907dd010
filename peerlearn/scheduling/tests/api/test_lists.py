"""The scheduling part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py). Time is frozen on a Monday morning;
tutors are free 09:00-17:00 in their own zone unless a test says otherwise (conftest.py).

The booking lists (upcoming, incoming, outgoing) and one booking's detail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_tutor, make_user
from peerlearn.scheduling import services
from peerlearn.scheduling.tests.api.helpers import (
    API,
    SLOT,
    assert_error,
    booking_body,
    client_for,
    confirmed,
    group_session,
    post_json,
    requested,
)

pytestmark = pytest.mark.django_db


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
