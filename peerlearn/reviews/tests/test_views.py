"""The review pages: writing and editing through the form, My reviews, reporting, the
moderation queue, and the profile's rating card."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from peerlearn.common.testing import make_moderator, make_user
from peerlearn.reviews.models import Review, ReviewReport

from .factories import (
    client_for,
    completed_booking,
    learner_review,
    people,
    rated_tutor,
    tutor_review,
)

pytestmark = pytest.mark.django_db


def form_data(subject_id: int, **scores: int) -> dict[str, object]:
    data: dict[str, object] = {"subject": str(subject_id)}
    for name, value in scores.items():
        data[f"s{subject_id}-{name}"] = str(value)
    return data


def test_the_learner_writes_a_review_through_the_form() -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    client = client_for(learner)
    page = client.get(f"/reviews/bookings/{booking.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    # Accessible star inputs: a fieldset per dimension with five labelled radios.
    assert html.count('type="radio"') == 20 and "<legend>Clarity</legend>" in html
    assert "1 star</span>" in html and "5 stars</span>" in html
    data = form_data(tutor.pk, clarity=5, knowledge=4, patience=5, punctuality=3)
    data[f"s{tutor.pk}-comment"] = "<script>alert(1)</script> Clear!"
    data[f"s{tutor.pk}-tags"] = ["great-examples", "patient"]
    response = client.post(f"/reviews/bookings/{booking.pk}/", data)
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.author, review.subject, review.clarity, review.tags) == (
        learner,
        tutor,
        5,
        ["great-examples", "patient"],
    )
    html = client.get(f"/reviews/bookings/{booking.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Clear!" in html  # plain text, escaped
    assert "<script>alert(1)" not in html
    assert "Edit (until" in html


def test_a_missing_score_is_a_form_error() -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    response = client_for(learner).post(
        f"/reviews/bookings/{booking.pk}/", form_data(tutor.pk, clarity=5)
    )
    assert response.status_code == 200
    assert "Choose 1 to 5 stars for knowledge." in response.content.decode()
    assert not Review.objects.exists()


def test_the_tutor_of_a_group_reviews_each_learner_on_one_page() -> None:
    tutor, learner = people()
    other = make_user(display_name="Olga")
    booking = completed_booking(tutor, [learner, other])
    client = client_for(tutor)
    html = client.get(f"/reviews/bookings/{booking.pk}/").content.decode()
    assert "Lee" in html and "Olga" in html and html.count("<legend>Preparedness</legend>") == 2
    client.post(
        f"/reviews/bookings/{booking.pk}/", form_data(other.pk, preparedness=4, engagement=5)
    )
    assert Review.objects.get().subject == other


def test_editing_within_48_hours_then_not(frozen: time_machine.Traveller) -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    learner_review(booking, learner)
    client = client_for(learner)
    client.post(
        f"/reviews/bookings/{booking.pk}/",
        form_data(tutor.pk, clarity=1, knowledge=1, patience=1, punctuality=1),
    )
    assert Review.objects.get().clarity == 1
    frozen.shift(timedelta(hours=49))
    html = client.get(f"/reviews/bookings/{booking.pk}/").content.decode()
    assert "Edit (until" not in html
    client.post(
        f"/reviews/bookings/{booking.pk}/",
        form_data(tutor.pk, clarity=5, knowledge=5, patience=5, punctuality=5),
    )
    assert Review.objects.get().clarity == 1


def test_strangers_and_unfinished_sessions_are_not_found() -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    assert client_for(make_user()).get(f"/reviews/bookings/{booking.pk}/").status_code == 404
    confirmed = completed_booking(tutor, [learner], status="confirmed")
    assert client_for(learner).get(f"/reviews/bookings/{confirmed.pk}/").status_code == 404
    assert (
        client_for(learner)
        .post(f"/reviews/bookings/{booking.pk}/", form_data(learner.pk, clarity=5))
        .status_code
        == 404
    )


def test_my_reviews_lists_pending_written_and_received() -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    client = client_for(learner)
    pending = client.get("/reviews/").content.decode()
    assert "Tara" in pending and f"/reviews/bookings/{booking.pk}/" in pending
    learner_review(booking, learner, comment="Thanks a lot")
    written = client.get("/reviews/?tab=written").content.decode()
    assert "Thanks a lot" in written and "Hidden until both have reviewed" in written
    assert "Nothing to review right now" in client.get("/reviews/").content.decode()
    tutor_review(booking, tutor, learner, comment="Keep going")
    assert "Keep going" in client.get("/reviews/?tab=received").content.decode()
    assert client.get("/reviews/").status_code == 200
    assert client_for(learner).get("/reviews/?tab=nonsense").status_code == 200


def test_reporting_and_moderating_through_the_pages() -> None:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    review = tutor_review(booking, tutor, learner, comment="You are hopeless")
    learner_review(booking, learner)
    client = client_for(learner)
    assert client.get(f"/reviews/{review.pk}/report/").status_code == 200
    response = client.post(f"/reviews/{review.pk}/report/", {"reason": "Insulting"})
    assert response.status_code == 302 and ReviewReport.objects.count() == 1

    assert client.get("/reviews/moderation/").status_code == 403
    assert client.post(f"/reviews/{review.pk}/hide/", {"reason": "x"}).status_code == 403
    moderator = client_for(make_moderator())
    queue = moderator.get("/reviews/moderation/").content.decode()
    assert "You are hopeless" in queue and "Insulting" in queue
    moderator.post(f"/reviews/{review.pk}/hide/", {"reason": "Personal attack"})
    review.refresh_from_db()
    assert review.hidden_reason == "Personal attack"
    queue = moderator.get("/reviews/moderation/").content.decode()
    assert "No open reports." in queue and "Personal attack" in queue
    assert "You are hopeless" not in client.get(f"/reviews/bookings/{booking.pk}/").content.decode()


def test_the_profile_shows_a_tutors_rating_and_a_learners_aggregate_only() -> None:
    tutor = rated_tutor([5, 4, 5], name="Tara")
    review = Review.objects.filter(subject=tutor).first()
    assert review is not None
    review.comment = "Brilliant examples"
    review.save()
    html = client_for(make_user()).get(f"/people/{tutor.pk}/").content.decode()
    assert "Ratings as a tutor" in html and "from 3 reviews" in html
    # All three reviews are from this month: words, not a dot on a hairline.
    assert "sparkline" not in html and "the trend line starts with a second month" in html
    assert "Brilliant examples" in html
    assert "<meter" in html and 'style="' not in html.split("rating-card", 1)[1]

    learner = review.author
    tutor_comment = Review.objects.get(subject=learner)
    tutor_comment.comment = "Private note about the learner"
    tutor_comment.save()
    html = client_for(make_user()).get(f"/people/{learner.pk}/").content.decode()
    assert "As a learner" in html and "Preparedness" in html
    assert "Private note about the learner" not in html


def test_a_trend_of_two_months_is_drawn_as_a_line() -> None:
    from datetime import date

    from peerlearn.reviews.selectors import TrendPoint
    from peerlearn.reviews.templatetags.reviews_tags import sparkline

    one = sparkline([TrendPoint(month=date(2026, 11, 1), average=4.5, count=2)])
    two = sparkline(
        [
            TrendPoint(month=date(2026, 10, 1), average=4.0, count=1),
            TrendPoint(month=date(2026, 11, 1), average=4.5, count=2),
        ]
    )

    assert not one.drawable and [p.label for p in one.rated] == ["Nov 2026"]
    assert two.drawable
