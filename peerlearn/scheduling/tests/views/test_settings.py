"""The scheduling pages, through the web. The calendar settings and the profile's booking card."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from peerlearn.accounts.models import User
from peerlearn.scheduling import selectors, services
from peerlearn.scheduling.models import CalendarFeed, TutorPolicy
from peerlearn.scheduling.tests.views.helpers import SLOT, client_for, confirmed

pytestmark = pytest.mark.django_db


# --- settings -------------------------------------------------------------------------------------


class TestSettings:
    def test_the_feed_address_is_shown_in_full_with_a_webcal_variant(
        self, learner: User, settings: Any
    ) -> None:
        settings.SITE_URL = "https://peerlearn.example"
        body = client_for(learner).get(reverse("scheduling:settings")).content.decode()
        token = CalendarFeed.objects.get(user=learner).token
        assert f"https://peerlearn.example/sessions/calendar/{token}.ics" in body
        assert f"webcal://peerlearn.example/sessions/calendar/{token}.ics" in body
        assert "Google Calendar" in body and "Outlook" in body and "Apple Calendar" in body
        assert "These apply once you teach something." in body

    def test_regenerating_revokes_the_old_address(self, tutor: User, learner: User) -> None:
        confirmed(tutor, learner)
        old = selectors.calendar_feed_for(user=learner).token
        assert Client().get(reverse("scheduling:feed", args=[old])).status_code == 200
        response = client_for(learner).post(
            reverse("scheduling:settings"), {"action": "regenerate"}
        )
        assert response.status_code == 302
        new = CalendarFeed.objects.get(user=learner).token
        assert new != old
        assert Client().get(reverse("scheduling:feed", args=[old])).status_code == 404
        feed = Client().get(reverse("scheduling:feed", args=[new]))
        assert len(Calendar.from_ical(feed.content).walk("VEVENT")) == 1

    def test_a_tutor_saves_their_booking_rules(self, tutor: User) -> None:
        data = {
            "action": "policy",
            "buffer_before_minutes": 5,
            "buffer_after_minutes": 15,
            "min_notice_hours": 24,
            "max_sessions_per_day": 3,
            "horizon_weeks": 4,
        }
        response = client_for(tutor).post(reverse("scheduling:settings"), data)
        assert response.status_code == 302
        policy = TutorPolicy.objects.get(user=tutor)
        assert (policy.buffer_before_minutes, policy.min_notice_hours, policy.horizon_weeks) == (
            5,
            24,
            4,
        )

    def test_out_of_range_rules_are_form_errors(self, tutor: User) -> None:
        response = client_for(tutor).post(
            reverse("scheduling:settings"),
            {
                "action": "policy",
                "buffer_before_minutes": 500,
                "buffer_after_minutes": 0,
                "min_notice_hours": 1,
                "max_sessions_per_day": 1,
                "horizon_weeks": 1,
            },
        )
        assert response.status_code == 200
        assert "Ensure this value is less than or equal to 120." in response.content.decode()
        assert not TutorPolicy.objects.exists()


# --- the public profile's booking card ---------------------------------------------------------


class TestProfileCard:
    def test_a_tutors_profile_offers_booking_and_shows_reliability(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        kept = confirmed(tutor, learner)
        slipped = confirmed(tutor, learner, SLOT + timedelta(days=1))
        frozen_time.move_to(SLOT + timedelta(days=1, hours=-1))
        services.booking_cancel(actor=tutor, booking_id=slipped.pk, reason="Sorry")
        services.booking_complete(actor=tutor, booking_id=kept.pk)
        body = (
            client_for(learner).get(reverse("accounts:profile", args=[tutor.pk])).content.decode()
        )
        assert reverse("scheduling:book", args=[tutor.pk]) in body and "Book a session" in body
        # (2 - 1 + 5) / (2 + 5) = 86%
        assert re.search(r"86%</span>.*2 sessions, 1 late cancellation, 0 no-shows", body, re.S)

    def test_no_button_on_your_own_profile_or_for_non_tutors(
        self, tutor: User, learner: User
    ) -> None:
        own = client_for(tutor).get(reverse("accounts:profile", args=[tutor.pk])).content.decode()
        assert "Book a session" not in own and "no sessions yet" in own
        plain = client_for(tutor).get(reverse("accounts:profile", args=[learner.pk]))
        assert "Reliability" not in plain.content.decode()

    def test_anonymous_visitors_see_the_button(self, tutor: User) -> None:
        body = Client().get(reverse("accounts:profile", args=[tutor.pk])).content.decode()
        assert "Book a session" in body
