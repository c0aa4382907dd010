"""The scheduling pages, through the web. My sessions and a session's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_user
from peerlearn.scheduling import services
from peerlearn.scheduling.models import Booking
from peerlearn.scheduling.tests.views.helpers import (
    SLOT,
    act,
    client_for,
    confirmed,
    request_booking,
)

pytestmark = pytest.mark.django_db


# --- My sessions ---------------------------------------------------------------------------------


class TestMySessions:
    def test_each_side_sees_the_session_in_their_own_zone(self, tutor: User, learner: User) -> None:
        confirmed(tutor, learner)
        url = reverse("scheduling:my_sessions")
        mine = client_for(learner).get(url).content.decode()
        theirs = client_for(tutor).get(url).content.decode()
        assert "Wed 3 Mar 2027, 05:00–06:00" in mine and "Tara" in mine
        assert "Wed 3 Mar 2027, 11:00–12:00" in theirs and "Lee" in theirs

    def test_requests_are_split_by_direction(self, tutor: User, learner: User) -> None:
        request_booking(tutor, learner, note="Graphs!")
        url = reverse("scheduling:my_sessions")
        incoming = client_for(tutor).get(url, {"tab": "incoming"}).content.decode()
        outgoing = client_for(learner).get(url, {"tab": "outgoing"}).content.decode()
        assert (
            "“Graphs!”" in incoming
            and ">Accept<" in incoming
            and "Propose another time" in incoming
        )
        assert "Withdraw" in outgoing and ">Accept<" not in outgoing
        assert "Nobody is waiting for your answer." in (
            client_for(learner).get(url, {"tab": "incoming"}).content.decode()
        )

    @pytest.mark.parametrize(
        ("tab", "text"),
        [
            ("upcoming", "No confirmed sessions coming up."),
            ("incoming", "Nobody is waiting for your answer."),
            ("outgoing", "You have no requests waiting for an answer."),
            ("past", "Sessions you have had will be listed here."),
            ("cancelled", "Nothing cancelled or declined."),
            ("nonsense", "No confirmed sessions coming up."),
        ],
    )
    def test_every_tab_has_an_empty_state(self, learner: User, tab: str, text: str) -> None:
        response = client_for(learner).get(reverse("scheduling:my_sessions"), {"tab": tab})
        assert response.status_code == 200 and text in response.content.decode()

    def test_past_and_cancelled_sessions_have_their_tabs(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        done = confirmed(tutor, learner)
        gone = request_booking(tutor, learner, SLOT + timedelta(days=1))
        services.booking_cancel(actor=learner, booking_id=gone.pk, reason="Exam moved")
        frozen_time.move_to(SLOT + timedelta(hours=2))
        client = client_for(learner)
        past = client.get(reverse("scheduling:my_sessions"), {"tab": "past"}).content.decode()
        assert f"session-{done.pk}" in past and "Mark completed" in past
        cancelled = client.get(reverse("scheduling:my_sessions"), {"tab": "cancelled"})
        assert f"session-{gone.pk}" in cancelled.content.decode()

    def test_long_lists_are_paginated(self, tutor: User, learner: User) -> None:
        for day in range(16):
            request_booking(tutor, learner, SLOT + timedelta(days=day))
        url = reverse("scheduling:my_sessions")
        first = client_for(learner).get(url, {"tab": "outgoing"}).content.decode()
        assert "Page 1 of 2" in first and "?tab=outgoing&amp;page=2" in first
        second = client_for(learner).get(url, {"tab": "outgoing", "page": "2"}).content.decode()
        assert second.count('class="session"') == 1


# --- a session's page -----------------------------------------------------------------------------


class TestDetail:
    def test_it_shows_the_session_its_history_and_the_other_sides_time(
        self, tutor: User, learner: User
    ) -> None:
        booking = request_booking(tutor, learner, note="Bring questions")
        services.booking_decline(actor=tutor, booking_id=booking.pk, reason="Away that week")
        body = (
            client_for(learner)
            .get(reverse("scheduling:detail", args=[booking.pk]))
            .content.decode()
        )
        assert "Bring questions" in body and "Declined" in body
        assert "<strong>You</strong> asked for the session" in body
        assert "<strong>Tara</strong> declined" in body and "“Away that week”" in body
        assert "For Tara" in body and "Wed 3 Mar, 11:00" in body
        assert reverse("scheduling:ics", args=[booking.pk]) in body
        assert "Nothing to do: this session is declined." in body

    def test_a_pending_reschedule_is_shown_to_both(self, tutor: User, learner: User) -> None:
        booking = confirmed(tutor, learner)
        services.booking_reschedule_propose(
            actor=learner, booking_id=booking.pk, starts_at=SLOT + timedelta(days=1)
        )
        url = reverse("scheduling:detail", args=[booking.pk])
        theirs = client_for(tutor).get(url).content.decode()
        mine = client_for(learner).get(url).content.decode()
        assert "Proposed new time" in theirs and "Thursday 4 March 2027, 11:00–12:00" in theirs
        assert "Move to the new time" in theirs
        assert "Until the other side agrees" in mine and "Move to the new time" not in mine

    def test_the_ics_download_is_an_invitation_for_participants_only(
        self, tutor: User, learner: User
    ) -> None:
        booking = confirmed(tutor, learner)
        url = reverse("scheduling:ics", args=[booking.pk])
        response = client_for(learner).get(url)
        assert response["Content-Type"].startswith("text/calendar")
        assert response["Content-Disposition"].startswith("attachment;")
        calendar = Calendar.from_ical(response.content)
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert event["UID"] == f"{booking.uid}@peerlearn"
        assert event.decoded("DTSTART") == SLOT
        assert client_for(make_user()).get(url).status_code == 404

    def test_a_cancelled_sessions_ics_cancels(self, tutor: User, learner: User) -> None:
        booking = confirmed(tutor, learner)
        services.booking_cancel(actor=tutor, booking_id=booking.pk, reason="Ill")
        response = client_for(learner).get(reverse("scheduling:ics", args=[booking.pk]))
        assert Calendar.from_ical(response.content)["METHOD"] == "CANCEL"

    def test_strangers_get_404_everywhere(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        stranger = client_for(make_user())
        assert stranger.get(reverse("scheduling:detail", args=[booking.pk])).status_code == 404
        assert stranger.get(reverse("scheduling:ics", args=[booking.pk])).status_code == 404
        for action in ("accept", "decline", "cancel", "counter", "complete", "no_show"):
            assert act(stranger, booking, action, reason="x").status_code == 404
        booking.refresh_from_db()
        assert booking.status == Booking.Status.REQUESTED

    def test_anonymous_visitors_are_sent_to_log_in(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        for url in (
            reverse("scheduling:my_sessions"),
            reverse("scheduling:detail", args=[booking.pk]),
            reverse("scheduling:ics", args=[booking.pk]),
            reverse("scheduling:groups"),
            reverse("scheduling:settings"),
        ):
            response = Client().get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
