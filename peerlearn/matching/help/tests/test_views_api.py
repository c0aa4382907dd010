from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from peerlearn.accounts.models import Subject, User
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.matching.help import services
from peerlearn.matching.help.models import HelpOffer, HelpRequest
from peerlearn.scheduling.models import Booking

from .conftest import SLOT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_candidates", "frozen_time")]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def topic() -> Subject:
    return make_subject("Graphs")


@pytest.fixture
def tutors(topic: Subject) -> list[User]:
    return [make_tutor(display_name=f"Tutor {i}", subject=topic) for i in range(4)]


@pytest.fixture
def learner() -> User:
    return make_user(display_name="Lee", timezone="Europe/Berlin")


def ask(learner: User, topic: Subject) -> HelpRequest:
    return services.help_request_create(
        actor=learner,
        subject_id=topic.pk,
        description="Help with BFS",
        starts_at=SLOT,
        duration_minutes=60,
    )


class TestPages:
    def test_ask_for_help_in_my_time_zone_then_watch_it(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        client = client_for(learner)
        page = client.get("/help/")
        assert page.status_code == 200 and "Ask for help" in page.text
        assert "Europe/Berlin" in page.text

        response = client.post(
            "/help/",
            {
                "subject": topic.pk,
                "description": "BFS on grids",
                "starts_at": "2027-03-03T11:00",  # 10:00 UTC in Berlin (CET)
                "duration": 60,
            },
        )

        request = HelpRequest.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/help/{request.pk}/"
        assert request.starts_at == SLOT
        detail = client.get(f"/help/{request.pk}/")
        assert detail.status_code == 200
        assert "Tutor 0" in detail.text and 'data-help-socket="/ws/help/' in detail.text
        partial = client.get(f"/help/{request.pk}/?partial=1")
        assert 'hx-trigger="help-changed from:body, every 3s"' in partial.text
        assert "<html" not in partial.text
        mine = client.get("/help/mine/")
        assert "every 3s" in mine.text and "Graphs" in mine.text

    def test_a_refused_request_shows_on_the_form(self, learner: User) -> None:
        response = client_for(learner).post(
            "/help/",
            {
                "subject": make_subject("Lonely").pk,
                "description": "x",
                "starts_at": "2027-03-03T11:00",
                "duration": 60,
            },
        )
        assert response.status_code == 400 and "No tutor who teaches" in response.text

    def test_a_tutor_accepts_from_the_offers_page_and_lands_on_the_session(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        request = ask(learner, topic)
        tutor = client_for(tutors[0])
        page = tutor.get("/help/offers/")
        assert page.status_code == 200 and "Help with BFS" in page.text
        assert 'data-help-socket="/ws/help/offers/"' in page.text
        offer = HelpOffer.objects.get(request=request, tutor=tutors[0])

        response = tutor.post(f"/help/offers/{offer.pk}/accept/")

        booking = Booking.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/sessions/{booking.pk}/"
        # The others see it taken.
        other = client_for(tutors[1]).get("/help/offers/?partial=1")
        assert "Taken by another tutor" in other.text
        late = HelpOffer.objects.get(request=request, tutor=tutors[1])
        assert client_for(tutors[1]).post(f"/help/offers/{late.pk}/accept/").status_code == 302
        assert Booking.objects.count() == 1

    def test_the_pages_mark_required_fields_and_style_their_lists(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        form = client_for(learner).get("/help/").text
        request = ask(learner, topic)
        detail = client_for(learner).get(f"/help/{request.pk}/").text
        offers = client_for(tutors[0]).get("/help/offers/").text

        assert 'When <span class="req">(required)</span>' in form
        assert "css/matching.css" in form and "css/matching.css" in offers
        assert 'class="help-list"' in detail and 'class="person-line"' in detail
        assert 'type="text" name="reason"' in offers

    def test_decline_and_cancel(self, learner: User, topic: Subject, tutors: list[User]) -> None:
        request = ask(learner, topic)
        offer = HelpOffer.objects.get(request=request, tutor=tutors[0])
        client_for(tutors[0]).post(f"/help/offers/{offer.pk}/decline/", {"reason": "Busy"})
        offer.refresh_from_db()
        assert (offer.status, offer.decline_reason) == ("declined", "Busy")
        client_for(learner).post(f"/help/{request.pk}/cancel/")
        assert HelpRequest.objects.get().status == "cancelled"

    def test_strangers_get_404(self, learner: User, topic: Subject, tutors: list[User]) -> None:
        request = ask(learner, topic)
        offer = HelpOffer.objects.get(request=request, tutor=tutors[0])
        stranger = client_for(tutors[3])  # a tutor who was not asked
        assert stranger.get(f"/help/{request.pk}/").status_code == 404
        assert stranger.post(f"/help/{request.pk}/cancel/").status_code == 404
        assert stranger.post(f"/help/offers/{offer.pk}/accept/").status_code == 404
        assert stranger.post(f"/help/offers/{offer.pk}/decline/").status_code == 404
        assert client_for(tutors[0]).get(f"/help/{request.pk}/").status_code == 404
        assert Client().get("/help/").status_code == 302  # to the login page


class TestApi:
    def test_create_list_get_and_cancel(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        client = client_for(learner)
        created = post_json(
            client,
            "/api/v1/help-requests",
            {
                "subject_id": topic.pk,
                "description": "Heaps",
                "starts_at": "2027-03-03T11:00:00+01:00",
                "duration_minutes": 60,
            },
        )
        assert created.status_code == 201, created.json()
        body = created.json()
        assert body["status"] == "open" and body["subject"] == "Graphs"
        assert [o["tutor_name"] for o in body["offers"]] == ["Tutor 0", "Tutor 1", "Tutor 2"]
        assert body["offers"][0]["status"] == "pending"
        assert body["offers"][0]["response_seconds"] is None

        assert [r["id"] for r in client.get("/api/v1/help-requests").json()] == [body["id"]]
        assert client.get(f"/api/v1/help-requests/{body['id']}").json()["id"] == body["id"]
        cancelled = post_json(client, f"/api/v1/help-requests/{body['id']}/cancel")
        assert cancelled.json()["status"] == "cancelled"
        again = post_json(client, f"/api/v1/help-requests/{body['id']}/cancel")
        assert again.status_code == 409 and again.json()["error"]["code"] == "cancelled"

    def test_validation_errors_use_the_one_error_shape(self, learner: User, topic: Subject) -> None:
        response = post_json(
            client_for(learner),
            "/api/v1/help-requests",
            {
                "subject_id": topic.pk,
                "description": "x",
                "starts_at": "2027-03-03T10:00:00Z",
                "duration_minutes": 50,
            },
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_duration"
        assert list(response.json()["error"]["fields"]) == ["duration_minutes"]

    def test_tutor_lists_accepts_and_declines(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        request = ask(learner, topic)
        first, second = client_for(tutors[0]), client_for(tutors[1])
        (mine,) = first.get("/api/v1/help-offers?pending=true").json()
        assert mine["description"] == "Help with BFS" and mine["learner_name"] == "Lee"

        accepted = post_json(first, f"/api/v1/help-offers/{mine['id']}/accept")
        assert accepted.status_code == 200, accepted.json()
        assert accepted.json()["status"] == "accepted"
        assert accepted.json()["booking_id"] == Booking.objects.get().pk

        (theirs,) = second.get("/api/v1/help-offers").json()
        assert theirs["status"] == "taken" and theirs["booking_id"] is None
        late = post_json(second, f"/api/v1/help-offers/{theirs['id']}/accept")
        assert late.status_code == 409 and late.json()["error"]["code"] == "taken"
        declined = post_json(second, f"/api/v1/help-offers/{theirs['id']}/decline", {"reason": ""})
        assert declined.status_code == 409
        assert second.get("/api/v1/help-offers?pending=true").json() == []
        # The learner sees who answered, and how fast.
        got = client_for(learner).get(f"/api/v1/help-requests/{request.pk}").json()
        assert got["accepted_by_id"] == tutors[0].pk
        assert {o["status"] for o in got["offers"]} == {"accepted", "taken"}
        assert [o["response_seconds"] for o in got["offers"] if o["status"] == "accepted"] == [0]

    def test_only_the_asked_tutor_and_the_learner_see_anything(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        request = ask(learner, topic)
        offer = HelpOffer.objects.get(request=request, tutor=tutors[0])
        stranger = client_for(tutors[3])
        assert stranger.get(f"/api/v1/help-requests/{request.pk}").status_code == 404
        assert post_json(stranger, f"/api/v1/help-requests/{request.pk}/cancel").status_code == 404
        assert post_json(stranger, f"/api/v1/help-offers/{offer.pk}/accept").status_code == 404
        assert post_json(stranger, f"/api/v1/help-offers/{offer.pk}/decline").status_code == 404
        assert stranger.get("/api/v1/help-offers").json() == []
        assert client_for(tutors[0]).get(f"/api/v1/help-requests/{request.pk}").status_code == 404
        assert Client().get("/api/v1/help-requests").status_code == 401
