"""The scheduling pages, through the web. Every action on a session's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from peerlearn.accounts.models import User
from peerlearn.scheduling import services
from peerlearn.scheduling.models import Booking, RescheduleProposal
from peerlearn.scheduling.tests.views.helpers import (
    SLOT,
    act,
    client_for,
    confirmed,
    messages_of,
    request_booking,
)

pytestmark = pytest.mark.django_db


# --- actions ---------------------------------------------------------------------------------


class TestActions:
    def test_the_tutor_accepts(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        response = act(client_for(tutor), booking, "accept")
        assert response.status_code == 302
        assert response["Location"] == reverse("scheduling:detail", args=[booking.pk])
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CONFIRMED
        assert "Confirmed" in messages_of(response)[0]

    def test_the_learner_cannot_accept_their_own_request(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        response = act(client_for(learner), booking, "accept")
        assert messages_of(response) == ["Only the tutor can accept this request."]
        booking.refresh_from_db()
        assert booking.status == Booking.Status.REQUESTED

    def test_declining_needs_a_reason(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        client = client_for(tutor)
        assert messages_of(act(client, booking, "decline", reason="  ")) == [
            "Reason: This field is required."
        ]
        act(client, booking, "decline", reason="Fully booked")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.DECLINED
        assert booking.events.last().reason == "Fully booked"  # type: ignore[union-attr]

    def test_a_counter_proposal_is_read_in_the_tutors_zone_and_accepted(
        self, tutor: User, learner: User
    ) -> None:
        booking = request_booking(tutor, learner)
        act(client_for(tutor), booking, "counter", starts_at="2027-03-04T14:00", note="Thursday?")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.COUNTERED
        assert booking.starts_at == datetime(2027, 3, 4, 13, 0, tzinfo=UTC)  # 14:00 Berlin
        outgoing = client_for(learner).get(reverse("scheduling:my_sessions"), {"tab": "outgoing"})
        assert "Tara proposed this new time." in outgoing.content.decode()
        act(client_for(learner), booking, "counter_accept")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CONFIRMED

    def test_a_counter_proposal_can_be_declined(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        services.booking_counter(
            actor=tutor, booking_id=booking.pk, starts_at=SLOT + timedelta(days=1)
        )
        act(client_for(learner), booking, "decline", reason="Too late for me")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.DECLINED

    def test_a_counter_at_a_time_skipped_by_daylight_saving_is_explained(
        self, tutor: User, learner: User
    ) -> None:
        booking = request_booking(tutor, learner)
        response = act(client_for(tutor), booking, "counter", starts_at="2027-03-28T02:30")
        assert "does not exist in Europe/Berlin" in messages_of(response)[0]
        booking.refresh_from_db()
        assert booking.status == Booking.Status.REQUESTED

    def test_a_counter_outside_availability_is_refused_with_the_services_words(
        self, tutor: User, learner: User
    ) -> None:
        booking = request_booking(tutor, learner)
        response = act(client_for(tutor), booking, "counter", starts_at="2027-03-04T23:00")
        assert "That time is not bookable" in messages_of(response)[0]

    def test_reschedule_is_proposed_and_accepted_by_the_other_side(
        self, tutor: User, learner: User
    ) -> None:
        booking = confirmed(tutor, learner)
        act(client_for(learner), booking, "reschedule", starts_at="2027-03-04T05:00")  # New York
        proposal = RescheduleProposal.objects.get()
        assert proposal.starts_at == datetime(2027, 3, 4, 10, 0, tzinfo=UTC)
        booking.refresh_from_db()
        assert booking.starts_at == SLOT  # the original stands until the tutor agrees
        act(client_for(tutor), booking, "respond_reschedule", proposal=proposal.pk, answer="accept")
        booking.refresh_from_db()
        assert booking.starts_at == proposal.starts_at

    def test_a_reschedule_can_be_declined_and_the_proposer_cannot_answer(
        self, tutor: User, learner: User
    ) -> None:
        booking = confirmed(tutor, learner)
        proposal = services.booking_reschedule_propose(
            actor=tutor, booking_id=booking.pk, starts_at=SLOT + timedelta(days=1)
        )
        own = act(
            client_for(tutor), booking, "respond_reschedule", proposal=proposal.pk, answer="accept"
        )
        assert messages_of(own) == ["The other side has to answer your proposal."]
        act(
            client_for(learner),
            booking,
            "respond_reschedule",
            proposal=proposal.pk,
            answer="decline",
        )
        proposal.refresh_from_db()
        booking.refresh_from_db()
        assert proposal.status == RescheduleProposal.Status.DECLINED and booking.starts_at == SLOT

    def test_cancelling_inside_the_cut_off_is_late(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        booking = confirmed(tutor, learner)
        frozen_time.move_to(SLOT - timedelta(hours=2))
        response = act(client_for(learner), booking, "cancel", reason="Overslept")
        assert "late cancellation" in messages_of(response)[0]
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CANCELLED and booking.cancelled_late

    def test_a_learner_withdraws_a_request(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        response = act(client_for(learner), booking, "cancel", reason="Found the answer")
        assert messages_of(response) == ["Request withdrawn."]

    def test_completion_and_no_show_come_after_the_end(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        booking = confirmed(tutor, learner)
        early = act(client_for(learner), booking, "complete")
        assert "after it ends" in messages_of(early)[0]
        frozen_time.move_to(SLOT + timedelta(hours=2))
        act(client_for(tutor), booking, "no_show", absent_user=learner.pk)
        booking.refresh_from_db()
        assert booking.status == Booking.Status.NO_SHOW and booking.no_show_user_id == learner.pk
        other = confirmed(tutor, learner, SLOT + timedelta(days=1))
        frozen_time.move_to(SLOT + timedelta(days=1, hours=2))
        act(client_for(learner), other, "complete")
        other.refresh_from_db()
        assert other.status == Booking.Status.COMPLETED

    def test_a_no_show_must_name_the_other_side(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        booking = confirmed(tutor, learner)
        frozen_time.move_to(SLOT + timedelta(hours=2))
        response = act(client_for(tutor), booking, "no_show", absent_user=tutor.pk)
        assert messages_of(response) == ["Pick the other participant."]
        assert "Who did not come" in messages_of(act(client_for(tutor), booking, "no_show"))[0]

    def test_it_returns_to_a_safe_next_page_only(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        client = client_for(tutor)
        back = act(client, booking, "accept", next="/sessions/?tab=incoming")
        assert back["Location"] == "/sessions/?tab=incoming"
        other = request_booking(tutor, learner, SLOT + timedelta(days=1))
        evil = act(client, other, "accept", next="https://evil.example/")
        assert evil["Location"] == reverse("scheduling:detail", args=[other.pk])

    def test_unknown_actions_and_gets_are_refused(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        client = client_for(tutor)
        assert act(client, booking, "explode").status_code == 404
        assert (
            client.get(reverse("scheduling:action", args=[booking.pk, "accept"])).status_code == 405
        )

    def test_csrf_is_enforced(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        client = Client(enforce_csrf_checks=True)
        client.force_login(tutor)
        assert act(client, booking, "accept").status_code == 403
        response = client.post(
            reverse("scheduling:book", args=[tutor.pk]), {"start": "2027-03-03T10:00Z"}
        )
        assert response.status_code == 403
        booking.refresh_from_db()
        assert booking.status == Booking.Status.REQUESTED
