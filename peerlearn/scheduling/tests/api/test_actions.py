"""The scheduling part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py). Time is frozen on a Monday morning;
tutors are free 09:00-17:00 in their own zone unless a test says otherwise (conftest.py).

Answers to requests (accept, decline, counter) and actions on confirmed sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from peerlearn.accounts.models import User
from peerlearn.scheduling import services
from peerlearn.scheduling.models import Booking, TimeClaim
from peerlearn.scheduling.tests.api.helpers import (
    API,
    NEW_YORK,
    SLOT,
    assert_error,
    client_for,
    confirmed,
    iso,
    post_json,
    requested,
)

pytestmark = pytest.mark.django_db


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
