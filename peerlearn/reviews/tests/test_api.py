"""The reviews API: submit, edit, list, a booking's reviews, rating, report and hide, with
the one error shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from peerlearn.common.testing import make_moderator, make_user

from .factories import (
    TUTOR_SCORES,
    client_for,
    completed_booking,
    learner_review,
    people,
    post_json,
    put_json,
    rated_tutor,
    tutor_review,
)

pytestmark = pytest.mark.django_db


def test_submit_then_edit_then_the_window_for_edits_closes(frozen: time_machine.Traveller) -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    client = client_for(learner)
    response = post_json(
        client,
        f"/api/v1/bookings/{booking.pk}/reviews",
        {**TUTOR_SCORES, "comment": "Good", "tags": ["patient"]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["scores"] == TUTOR_SCORES and body["overall"] == 4.5
    assert body["subject"]["id"] == tutor.pk and body["revealed"] is False
    assert body["editable_until"] is not None

    again = post_json(client, f"/api/v1/bookings/{booking.pk}/reviews", TUTOR_SCORES)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reviewed"

    edited = put_json(client, f"/api/v1/reviews/{body['id']}", {**TUTOR_SCORES, "clarity": 1})
    assert edited.status_code == 200 and edited.json()["scores"]["clarity"] == 1
    frozen.shift(timedelta(hours=48, seconds=1))
    late = put_json(client, f"/api/v1/reviews/{body['id']}", TUTOR_SCORES)
    assert late.status_code == 409 and late.json()["error"]["code"] == "edit_closed"


def test_errors_have_the_one_shape() -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    client = client_for(learner)
    bad = post_json(
        client, f"/api/v1/bookings/{booking.pk}/reviews", {**TUTOR_SCORES, "clarity": 7}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_score"
    assert bad.json()["error"]["fields"] == {"clarity": ["Scores are whole numbers 1–5."]}
    tag = post_json(
        client, f"/api/v1/bookings/{booking.pk}/reviews", {**TUTOR_SCORES, "tags": ["nope"]}
    )
    assert tag.json()["error"]["code"] == "invalid_tag"
    stranger = post_json(
        client_for(make_user()), f"/api/v1/bookings/{booking.pk}/reviews", TUTOR_SCORES
    )
    assert stranger.status_code == 404
    selfie = post_json(
        client, f"/api/v1/bookings/{booking.pk}/reviews", {**TUTOR_SCORES, "subject_id": learner.pk}
    )
    assert selfie.status_code == 422 and selfie.json()["error"]["code"] == "self_review"
    anonymous = post_json(Client(), f"/api/v1/bookings/{booking.pk}/reviews", TUTOR_SCORES)
    assert anonymous.status_code == 401


def test_after_the_window_nothing_can_be_submitted(frozen: time_machine.Traveller) -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    frozen.shift(timedelta(days=15))
    late = post_json(client_for(learner), f"/api/v1/bookings/{booking.pk}/reviews", TUTOR_SCORES)
    assert late.status_code == 409 and late.json()["error"]["code"] == "window_closed"


def test_pending_written_received_lists() -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    client = client_for(learner)
    pending = client.get("/api/v1/me/reviews/pending").json()
    assert [(p["booking_id"], p["subject"]["id"]) for p in pending] == [(booking.pk, tutor.pk)]
    learner_review(booking, learner)
    assert client.get("/api/v1/me/reviews/pending").json() == []
    assert client.get("/api/v1/me/reviews/written").json()["count"] == 1
    assert client.get("/api/v1/me/reviews/received").json()["count"] == 0
    tutor_review(booking, tutor, learner)
    received = client.get("/api/v1/me/reviews/received").json()["items"]
    assert [r["author"]["id"] for r in received] == [tutor.pk]


def test_the_rating_endpoint_is_public_and_matches_the_selector() -> None:
    tutor = rated_tutor([5, 4])
    body = Client().get(f"/api/v1/users/{tutor.pk}/rating").json()
    # m = min(4.5, 4.0) = 4.0; (5·4 + 9) / 7 = 4.14
    assert body["as_tutor"]["count"] == 2 and body["as_tutor"]["bayesian"] == 4.14
    assert body["as_tutor"]["prior"] == 4.0 and body["as_tutor"]["prior_weight"] == 5
    assert len(body["as_tutor"]["trend"]) == 6 and body["as_tutor"]["trend"][-1]["count"] == 2
    assert body["as_learner"] == {
        "count": 0,
        "per_dimension": {"preparedness": None, "engagement": None},
    }
    assert Client().get("/api/v1/users/999999/rating").status_code == 404


def test_report_and_hide() -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    review = learner_review(booking, learner, comment="Abuse")
    tutor_review(booking, tutor, learner)
    url = f"/api/v1/reviews/{review.pk}"
    report = post_json(client_for(tutor), f"{url}/report", {"reason": "Abusive"})
    assert report.status_code == 201
    assert post_json(client_for(tutor), f"{url}/report", {"reason": "x"}).status_code == 409
    refused = post_json(client_for(tutor), f"{url}/hide", {"reason": "x"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert client_for(tutor).get("/api/v1/moderation/reviews").status_code == 403
    moderator = client_for(make_moderator())
    queue = moderator.get("/api/v1/moderation/reviews").json()
    assert [(q["id"], q["open_reports"], q["reasons"]) for q in queue] == [
        (review.pk, 1, ["Abusive"])
    ]
    hidden = post_json(moderator, f"{url}/hide", {"reason": "Abusive language"})
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    assert client_for(tutor).get(url).status_code == 404
    assert Client().get(f"/api/v1/users/{tutor.pk}/rating").json()["as_tutor"]["count"] == 0


def test_reports_are_rate_limited_through_the_api() -> None:
    tutor, learner = people()
    ids = []
    for _ in range(6):
        booking = completed_booking(tutor, [learner])
        ids.append(learner_review(booking, learner).pk)
        tutor_review(booking, tutor, learner)
    client = client_for(tutor)
    codes = [
        post_json(client, f"/api/v1/reviews/{i}/report", {"reason": "spam"}).status_code
        for i in ids
    ]
    assert codes == [201] * 5 + [429]
