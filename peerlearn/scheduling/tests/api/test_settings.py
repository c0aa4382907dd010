"""The scheduling part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py). Time is frozen on a Monday morning;
tutors are free 09:00-17:00 in their own zone unless a test says otherwise (conftest.py).

The tutor's policy, the calendar feed and reliability."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from peerlearn.accounts.models import User
from peerlearn.scheduling import services
from peerlearn.scheduling.models import TutorPolicy
from peerlearn.scheduling.tests.api.helpers import (
    API,
    NOW,
    SLOT,
    assert_error,
    client_for,
    confirmed,
    post_json,
    put_json,
    utc,
)

pytestmark = pytest.mark.django_db


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
