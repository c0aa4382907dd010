"""The scheduling pages, through the web. Group sessions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_user
from peerlearn.scheduling import selectors, services
from peerlearn.scheduling.models import Booking
from peerlearn.scheduling.tests.views.helpers import (
    SLOT,
    act,
    client_for,
    messages_of,
    request_booking,
    subject_of,
)

pytestmark = pytest.mark.django_db


# --- group sessions ------------------------------------------------------------------------------


class TestGroups:
    @pytest.fixture
    def group(self, tutor: User) -> Booking:
        return services.group_session_create(
            actor=tutor,
            subject_id=subject_of(tutor),
            starts_at=SLOT,
            duration_minutes=90,
            capacity=2,
            title="Exam prep",
        )

    def test_open_sessions_are_listed_with_seats_left(self, group: Booking, learner: User) -> None:
        body = client_for(learner).get(reverse("scheduling:groups")).content.decode()
        assert "Exam prep" in body and "2 seats left" in body and "Take a seat" in body
        assert "Offer a group session" not in body  # learners teach nothing

    def test_a_tutor_offers_one_at_a_local_time(self, tutor: User) -> None:
        response = client_for(tutor).post(
            reverse("scheduling:groups"),
            {
                "title": "Graph night",
                "subject": subject_of(tutor),
                "starts_at": "2027-03-10T18:00",
                "duration": 60,
                "capacity": 8,
            },
        )
        booking = Booking.objects.get(title="Graph night")
        assert response["Location"] == reverse("scheduling:detail", args=[booking.pk])
        assert booking.starts_at == datetime(2027, 3, 10, 17, 0, tzinfo=UTC)
        assert booking.capacity == 8 and booking.kind == Booking.Kind.GROUP

    def test_a_bad_offer_is_shown_on_the_form(self, tutor: User) -> None:
        client = client_for(tutor)
        data = {"subject": subject_of(tutor), "duration": 60, "capacity": 8}
        past = client.post(reverse("scheduling:groups"), {**data, "starts_at": "2027-02-01T10:00"})
        assert "Pick a time in the future." in past.content.decode()
        gap = client.post(reverse("scheduling:groups"), {**data, "starts_at": "2027-03-28T02:15"})
        assert "does not exist in Europe/Berlin" in gap.content.decode()
        too_big = client.post(
            reverse("scheduling:groups"), {**data, "starts_at": "2027-03-10T18:00", "capacity": 99}
        )
        assert too_big.status_code == 200 and "errorlist" in too_big.content.decode()
        assert not Booking.objects.exists()

    def test_someone_who_teaches_nothing_cannot_offer_one(self, learner: User) -> None:
        response = client_for(learner).post(
            reverse("scheduling:groups"),
            {"subject": 1, "starts_at": "2027-03-10T18:00", "duration": 60, "capacity": 8},
        )
        assert (
            response.status_code == 200 and "Offer a group session" not in response.content.decode()
        )
        assert not Booking.objects.exists()

    def test_learners_take_seats_until_full_and_can_leave(
        self, group: Booking, learner: User
    ) -> None:
        client = client_for(learner)
        joined = client.post(reverse("scheduling:group_join", args=[group.pk]))
        assert joined["Location"] == reverse("scheduling:detail", args=[group.pk])
        assert selectors.seats_taken(group) == 1
        assert "You have a seat" in client.get(reverse("scheduling:groups")).content.decode()
        client_for(make_user()).post(reverse("scheduling:group_join", args=[group.pk]))
        late = client_for(make_user()).post(reverse("scheduling:group_join", args=[group.pk]))
        assert messages_of(late) == ["This group session is full."]
        client.post(reverse("scheduling:group_leave", args=[group.pk]))
        assert selectors.seats_taken(group) == 1
        again = client.post(reverse("scheduling:group_leave", args=[group.pk]))
        assert again.status_code == 404

    def test_a_seat_holder_gives_up_the_seat_from_the_session_page(
        self, group: Booking, learner: User
    ) -> None:
        services.group_seat_take(actor=learner, booking_id=group.pk)
        body = (
            client_for(learner).get(reverse("scheduling:detail", args=[group.pk])).content.decode()
        )
        assert "Give up my seat" in body and "Reschedule" not in body
        act(client_for(learner), group, "leave")
        assert selectors.seats_taken(group) == 0
        after = client_for(learner).get(reverse("scheduling:detail", args=[group.pk]))
        assert "You gave up your seat" in after.content.decode()

    def test_joining_a_one_to_one_session_is_404(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        response = client_for(make_user()).post(reverse("scheduling:group_join", args=[booking.pk]))
        assert response.status_code == 404
