"""The double-blind rule end to end: through the web pages, the API and notifications nothing
of the other side's review (scores, comment, tags) shows before both have written or the
14-day window has closed; afterwards both sides read both, and each is told once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from peerlearn.common.task_backends import run_deferred_tasks
from peerlearn.notifications.models import Notification
from peerlearn.reviews import services
from peerlearn.reviews.models import Review
from peerlearn.scheduling.models import Booking

from .factories import client_for, completed_booking, people

pytestmark = pytest.mark.django_db

LEARNER_SECRET = "LEARNER-SAYS-xyzzy"
TUTOR_SECRET = "TUTOR-SAYS-plugh"


def write_learner(booking: Booking, learner) -> Review:
    return services.review_submit(
        actor=learner,
        booking_id=booking.pk,
        scores={"clarity": 2, "knowledge": 3, "patience": 2, "punctuality": 1},
        comment=LEARNER_SECRET,
        tags=["hard-to-follow"],
    )


def write_tutor(booking: Booking, tutor, learner) -> Review:
    return services.review_submit(
        actor=tutor,
        booking_id=booking.pk,
        subject_id=learner.pk,
        scores={"preparedness": 1, "engagement": 2},
        comment=TUTOR_SECRET,
        tags=["distracted"],
    )


def everything_delivered() -> str:
    """Every notification's text and every email, as one string."""
    parts = [f"{n.title}\n{n.body}" for n in Notification.objects.all()]
    for message in mail.outbox:
        parts.append(message.subject + "\n" + str(message.body))
        parts.extend(str(alt[0]) for alt in getattr(message, "alternatives", []))
    return "\n".join(parts)


def learner_sees(client, booking: Booking) -> str:
    page = client.get(f"/reviews/bookings/{booking.pk}/")
    assert page.status_code == 200
    received = client.get("/reviews/?tab=received")
    return page.content.decode() + received.content.decode()


def assert_learner_sees_nothing_of_the_tutors_review(client, booking, review) -> None:
    html = learner_sees(client, booking)
    # The tutor's review is the only place "Preparedness" or its tag label could come from.
    for leak in (TUTOR_SECRET, "Preparedness", "distracted"):
        assert leak not in html
    api = client.get(f"/api/v1/bookings/{booking.pk}/reviews").json()
    learner_id = booking.claims.get(role="learner").user_id
    assert all(r["author"]["id"] == learner_id for r in api)
    assert TUTOR_SECRET not in str(api)
    assert client.get(f"/api/v1/reviews/{review.pk}").status_code == 404
    assert client.get("/api/v1/me/reviews/received").json()["items"] == []


def assert_tutor_sees_nothing_of_the_learners_review(client, booking, review) -> None:
    page = client.get(f"/reviews/bookings/{booking.pk}/").content.decode()
    page += client.get("/reviews/?tab=received").content.decode()
    page += client.get(f"/people/{booking.tutor_id}/").content.decode()
    for leak in (LEARNER_SECRET, "Clarity", "hard to follow"):
        assert leak not in page
    api = client.get(f"/api/v1/bookings/{booking.pk}/reviews").json()
    assert all(r["author"]["id"] == booking.tutor_id for r in api)
    assert client.get(f"/api/v1/reviews/{review.pk}").status_code == 404
    rating = client.get(f"/api/v1/users/{booking.tutor_id}/rating").json()
    assert rating["as_tutor"]["count"] == 0 and LEARNER_SECRET not in str(rating)


def assert_both_see_both(tutor, learner, booking) -> None:
    for person in (tutor, learner):
        client = client_for(person)
        html = client.get(f"/reviews/bookings/{booking.pk}/").content.decode()
        assert LEARNER_SECRET in html and TUTOR_SECRET in html
        api = client.get(f"/api/v1/bookings/{booking.pk}/reviews").json()
        assert {r["comment"] for r in api} == {LEARNER_SECRET, TUTOR_SECRET}
        assert all(r["revealed"] for r in api)


def test_before_both_have_written_nothing_leaks_then_both_see_both(
    django_capture_on_commit_callbacks,
) -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    with django_capture_on_commit_callbacks(execute=True):
        services.reviews_request(booking=booking)
        tutors_review = write_tutor(booking, tutor, learner)

    assert_learner_sees_nothing_of_the_tutors_review(client_for(learner), booking, tutors_review)
    assert TUTOR_SECRET not in everything_delivered()
    assert not Notification.objects.filter(kind="review_revealed").exists()

    with django_capture_on_commit_callbacks(execute=True):
        learners_review = write_learner(booking, learner)
    assert_both_see_both(tutor, learner, booking)

    revealed = Notification.objects.filter(kind="review_revealed")
    assert {(n.user, n.title) for n in revealed} == {
        (learner, "Tara's review of your session is now visible"),
        (tutor, "Lee's review of your session is now visible"),
    }
    assert {n.url for n in revealed} == {f"/reviews/bookings/{booking.pk}/"}
    delivered = everything_delivered()
    assert TUTOR_SECRET not in delivered and LEARNER_SECRET not in delivered
    assert sum("now visible" in m.subject for m in mail.outbox) == 2
    assert learners_review.pk


def test_the_learner_writing_first_leaks_nothing_to_the_tutor(
    django_capture_on_commit_callbacks,
) -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    with django_capture_on_commit_callbacks(execute=True):
        learners_review = write_learner(booking, learner)
    assert_tutor_sees_nothing_of_the_learners_review(client_for(tutor), booking, learners_review)
    assert LEARNER_SECRET not in everything_delivered()


def test_the_window_closing_reveals_and_tells_the_subject_once(
    frozen: time_machine.Traveller, django_capture_on_commit_callbacks
) -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    with django_capture_on_commit_callbacks(execute=True):
        learners_review = write_learner(booking, learner)
    frozen.move_to(booking.ends_at + timedelta(days=14) - timedelta(minutes=1))
    assert_tutor_sees_nothing_of_the_learners_review(client_for(tutor), booking, learners_review)

    frozen.move_to(booking.ends_at + timedelta(days=14, minutes=1))
    client = client_for(tutor)
    html = client.get(f"/reviews/bookings/{booking.pk}/").content.decode()
    assert LEARNER_SECRET in html and "hard to follow" in html
    assert client.get(f"/api/v1/reviews/{learners_review.pk}").json()["comment"] == LEARNER_SECRET
    assert client.get(f"/api/v1/users/{tutor.pk}/rating").json()["as_tutor"]["count"] == 1
    assert LEARNER_SECRET in client.get(f"/people/{tutor.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        assert run_deferred_tasks(until=booking.ends_at + timedelta(days=14)) >= 1
    told = Notification.objects.filter(kind="review_revealed")
    assert [(n.user, n.title) for n in told] == [
        (tutor, "Lee's review of your session is now visible")
    ]
    assert services.reviews_notify_revealed() == 0  # the sweep finds nothing more
    assert LEARNER_SECRET not in everything_delivered()


def test_a_hidden_review_is_never_announced_nor_shown() -> None:
    from peerlearn.common.testing import make_moderator

    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    review = write_learner(booking, learner)
    write_tutor(booking, tutor, learner)
    services.review_hide(actor=make_moderator(), review_id=review.pk, reason="Abusive")
    client = client_for(tutor)
    assert LEARNER_SECRET not in client.get(f"/reviews/bookings/{booking.pk}/").content.decode()
    assert client.get(f"/api/v1/reviews/{review.pk}").status_code == 404
    assert LEARNER_SECRET not in client.get(f"/people/{tutor.pk}/").content.decode()
    # Its author still sees it, marked hidden with the reason.
    mine = client_for(learner).get(f"/api/v1/reviews/{review.pk}").json()
    assert mine["hidden"] and mine["hidden_reason"] == "Abusive"
