"""The review rules: who may review what and when, editing, requests, reports and hiding."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from peerlearn.common.errors import Conflict, Forbidden, NotFound, ServiceError
from peerlearn.common.ratelimit import RateLimited
from peerlearn.common.testing import make_moderator, make_user
from peerlearn.notifications.models import Notification
from peerlearn.reviews import selectors, services
from peerlearn.reviews.models import Review, ReviewReport, ReviewRequest
from peerlearn.scheduling.models import Booking, TimeClaim

from .factories import (
    NOW,
    TUTOR_SCORES,
    completed_booking,
    learner_review,
    people,
    tutor_review,
)

pytestmark = pytest.mark.django_db


# --- who may review -----------------------------------------------------------------------------


class TestWhoMayReview:
    def test_a_learner_reviews_the_tutor_and_the_tutor_the_learner(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        mine = learner_review(booking, learner, comment="Great!", tags=["great-examples"])
        theirs = tutor_review(booking, tutor, learner)
        assert (mine.subject, mine.direction) == (tutor, Review.Direction.OF_TUTOR)
        assert (theirs.subject, theirs.direction) == (learner, Review.Direction.OF_LEARNER)
        assert mine.overall == pytest.approx(4.5) and theirs.overall == pytest.approx(3.5)
        assert mine.tags == ["great-examples"]

    def test_a_stranger_cannot_review(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        with pytest.raises(NotFound):
            learner_review(booking, make_user())

    def test_a_learner_who_gave_up_their_seat_cannot_review(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner, make_user()])
        TimeClaim.objects.filter(booking=booking, user=learner).update(active=False)
        with pytest.raises(NotFound):
            learner_review(booking, learner)

    @pytest.mark.parametrize(
        "status", [Booking.Status.CONFIRMED, Booking.Status.CANCELLED, Booking.Status.NO_SHOW]
    )
    def test_only_completed_sessions_are_reviewed(self, status: str) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner], status=status)
        with pytest.raises(NotFound):
            learner_review(booking, learner)

    def test_nobody_reviews_themselves(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        with pytest.raises(ServiceError) as info:
            services.review_submit(
                actor=learner, booking_id=booking.pk, subject_id=learner.pk, scores=TUTOR_SCORES
            )
        assert info.value.code == "self_review"

    def test_the_database_refuses_a_self_review_too(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.create(
                booking=booking, author=learner, subject=learner, direction="of_tutor",
                overall=5, **{k: 5 for k in TUTOR_SCORES},
            )  # fmt: skip

    def test_a_learner_cannot_review_another_learner(self) -> None:
        tutor, learner = people()
        other = make_user()
        booking = completed_booking(tutor, [learner, other])
        with pytest.raises(Forbidden):
            services.review_submit(
                actor=learner, booking_id=booking.pk, subject_id=other.pk, scores=TUTOR_SCORES
            )

    def test_in_a_group_the_tutor_reviews_each_learner_and_must_say_whom(self) -> None:
        tutor, learner = people()
        other = make_user()
        booking = completed_booking(tutor, [learner, other])
        with pytest.raises(ServiceError) as info:
            services.review_submit(
                actor=tutor, booking_id=booking.pk, scores={"preparedness": 4, "engagement": 4}
            )
        assert info.value.field == "subject_id"
        tutor_review(booking, tutor, learner)
        tutor_review(booking, tutor, other)
        assert Review.objects.filter(author=tutor).count() == 2

    def test_nothing_after_the_window(self, frozen: time_machine.Traveller) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        frozen.shift(timedelta(days=14))  # the session ended an hour before NOW
        with pytest.raises(Conflict) as info:
            learner_review(booking, learner)
        assert info.value.code == "window_closed"

    def test_the_last_minute_of_the_window_still_counts(
        self, frozen: time_machine.Traveller
    ) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        frozen.move_to(booking.ends_at + timedelta(days=14))
        assert learner_review(booking, learner).pk

    def test_one_review_per_author_and_subject(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        learner_review(booking, learner)
        with pytest.raises(Conflict) as info:
            learner_review(booking, learner)
        assert info.value.code == "already_reviewed"

    def test_the_database_refuses_a_second_review(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        first = learner_review(booking, learner)
        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.create(
                booking=booking, author=learner, subject=tutor, direction="of_tutor",
                overall=first.overall, **first.scores,
            )  # fmt: skip


class TestValidation:
    @pytest.mark.parametrize("value", [0, 6, -1, True, "x", None, 4.5])
    def test_scores_are_whole_numbers_1_to_5(self, value: object) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        with pytest.raises(ServiceError) as info:
            services.review_submit(
                actor=learner, booking_id=booking.pk, scores={**TUTOR_SCORES, "clarity": value}
            )
        assert info.value.field == "clarity"

    def test_every_dimension_of_the_direction_and_no_other(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        with pytest.raises(ServiceError):
            services.review_submit(actor=learner, booking_id=booking.pk, scores={"clarity": 4})
        with pytest.raises(ServiceError) as info:
            services.review_submit(
                actor=learner, booking_id=booking.pk, scores={**TUTOR_SCORES, "engagement": 3}
            )
        assert info.value.field == "engagement"

    def test_the_database_checks_score_ranges(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.create(
                booking=booking, author=learner, subject=tutor, direction="of_tutor",
                overall=4, **{**TUTOR_SCORES, "clarity": 9},
            )  # fmt: skip

    def test_the_comment_is_at_most_2000_characters(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        with pytest.raises(ServiceError) as info:
            learner_review(booking, learner, comment="x" * 2001)
        assert info.value.code == "comment_too_long"
        assert len(learner_review(booking, learner, comment="y" * 2000).comment) == 2000

    def test_tags_come_from_the_fixed_list_of_the_direction(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        with pytest.raises(ServiceError) as info:
            learner_review(booking, learner, tags=["asked-good-questions-and-more"])
        assert info.value.code == "invalid_tag"
        with pytest.raises(ServiceError):
            learner_review(booking, learner, tags=["good-questions"])  # a tutor → learner tag
        review = learner_review(booking, learner, tags=["patient", "patient", "ran-late"])
        assert review.tags == ["patient", "ran-late"]


# --- editing ------------------------------------------------------------------------------------


class TestEditing:
    def test_the_author_edits_within_48_hours(self, frozen: time_machine.Traveller) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        review = learner_review(booking, learner)
        frozen.shift(timedelta(hours=47))
        edited = services.review_edit(
            actor=learner,
            review_id=review.pk,
            scores={**TUTOR_SCORES, "clarity": 2},
            comment="On reflection",
        )
        assert edited.clarity == 2 and edited.comment == "On reflection"
        assert edited.overall == pytest.approx(3.75)
        assert edited.created_at == review.created_at

    def test_not_after_48_hours(self, frozen: time_machine.Traveller) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        review = learner_review(booking, learner)
        frozen.shift(timedelta(hours=48))
        with pytest.raises(Conflict) as info:
            services.review_edit(actor=learner, review_id=review.pk, scores=TUTOR_SCORES)
        assert info.value.code == "edit_closed"

    def test_not_once_revealed(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        review = learner_review(booking, learner)
        tutor_review(booking, tutor, learner)
        with pytest.raises(Conflict):
            services.review_edit(actor=learner, review_id=review.pk, scores=TUTOR_SCORES)

    def test_only_by_its_author(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        review = learner_review(booking, learner)
        for someone in (tutor, make_user(), make_moderator()):
            with pytest.raises(NotFound):
                services.review_edit(actor=someone, review_id=review.pk, scores=TUTOR_SCORES)


# --- requests -----------------------------------------------------------------------------------


class TestRequests:
    def test_each_participant_is_asked_once_in_app_and_by_email(
        self, django_capture_on_commit_callbacks
    ) -> None:
        tutor, learner = people()
        other = make_user("olga@example.org", display_name="Olga")
        booking = completed_booking(tutor, [learner, other])
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reviews_request(booking=booking) == 3
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reviews_request(booking=booking) == 0
        asked = Notification.objects.filter(kind="review_request")
        assert sorted(asked.values_list("user__email", flat=True)) == [
            "lee@example.org",
            "olga@example.org",
            "tara@example.org",
        ]
        assert {n.url for n in asked} == {f"/reviews/bookings/{booking.pk}/"}
        assert sorted(m.to[0] for m in mail.outbox) == [
            "lee@example.org",
            "olga@example.org",
            "tara@example.org",
        ]
        lee_mail = next(m for m in mail.outbox if m.to == ["lee@example.org"])
        assert "Tara" in lee_mail.subject
        assert ReviewRequest.objects.filter(booking=booking).count() == 3

    def test_a_session_that_is_not_completed_asks_nobody(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner], status=Booking.Status.CONFIRMED)
        assert services.reviews_request(booking=booking) == 0
        assert not Notification.objects.exists()

    def test_a_late_completion_after_the_window_asks_nobody(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner], ends_at=NOW - timedelta(days=15))
        assert services.reviews_request(booking=booking) == 0


# --- reports and hiding -------------------------------------------------------------------------


def revealed_pair() -> tuple[Booking, Review, Review]:
    tutor, learner = people()
    booking = completed_booking(tutor, [learner])
    of_tutor = learner_review(booking, learner, comment="Rude and useless")
    of_learner = tutor_review(booking, tutor, learner, comment="You are hopeless")
    return booking, of_tutor, of_learner


class TestReports:
    def test_the_subject_reports_a_revealed_review(self) -> None:
        _booking, _of_tutor, of_learner = revealed_pair()
        report = services.review_report(
            actor=of_learner.subject, review_id=of_learner.pk, reason="Insulting"
        )
        assert report.review == of_learner and report.resolved_at is None

    def test_nobody_reports_a_review_they_cannot_read(self) -> None:
        _booking, of_tutor, _of_learner = revealed_pair()
        tutor, learner = of_tutor.subject, of_tutor.author
        later = completed_booking(tutor, [learner])
        sealed = tutor_review(later, tutor, learner)
        with pytest.raises(NotFound):  # not revealed yet: the learner cannot read it
            services.review_report(actor=learner, review_id=sealed.pk, reason="?")
        with pytest.raises(NotFound):
            services.review_report(actor=make_user(), review_id=of_tutor.pk, reason="spam")

    def test_another_participant_of_a_group_may_report_a_review_of_the_tutor(self) -> None:
        tutor, learner = people()
        other = make_user()
        booking = completed_booking(tutor, [learner, other])
        review = learner_review(booking, learner, comment="abuse")
        tutor_review(booking, tutor, learner)
        assert services.review_report(actor=other, review_id=review.pk, reason="abuse").pk

    def test_once_per_person_and_not_ones_own(self) -> None:
        _booking, of_tutor, _of_learner = revealed_pair()
        services.review_report(actor=of_tutor.subject, review_id=of_tutor.pk, reason="Abusive")
        with pytest.raises(Conflict):
            services.review_report(actor=of_tutor.subject, review_id=of_tutor.pk, reason="Again")
        with pytest.raises(Forbidden):
            services.review_report(actor=of_tutor.author, review_id=of_tutor.pk, reason="Mine")

    def test_reports_are_rate_limited(self) -> None:
        tutor, learner = people()
        reviews = []
        for _ in range(services.REPORT_LIMIT + 1):
            booking = completed_booking(tutor, [learner])
            tutor_review(booking, tutor, learner)
            reviews.append(learner_review(booking, learner))
        for review in reviews[: services.REPORT_LIMIT]:
            services.review_report(actor=tutor, review_id=review.pk, reason="Abusive")
        with pytest.raises(RateLimited):
            services.review_report(actor=tutor, review_id=reviews[-1].pk, reason="Abusive")
        assert ReviewReport.objects.count() == services.REPORT_LIMIT


class TestHiding:
    def test_only_moderators_hide(self) -> None:
        _booking, of_tutor, _of_learner = revealed_pair()
        for someone in (of_tutor.subject, of_tutor.author, make_user()):
            with pytest.raises(Forbidden):
                services.review_hide(actor=someone, review_id=of_tutor.pk, reason="x")

    def test_a_moderator_hides_with_a_reason_recorded_and_reports_resolve(self) -> None:
        _booking, of_tutor, _ = revealed_pair()
        services.review_report(actor=of_tutor.subject, review_id=of_tutor.pk, reason="Abusive")
        moderator = make_moderator()
        with pytest.raises(ServiceError):
            services.review_hide(actor=moderator, review_id=of_tutor.pk, reason="  ")
        hidden = services.review_hide(actor=moderator, review_id=of_tutor.pk, reason="Insults")
        hidden.refresh_from_db()
        assert (hidden.hidden_by, hidden.hidden_reason, hidden.hidden_at) == (
            moderator,
            "Insults",
            NOW,
        )
        report = ReviewReport.objects.get()
        assert (report.resolution, report.resolved_by) == ("hidden", moderator)
        assert list(selectors.moderation_queue()) == []
        with pytest.raises(Conflict):
            services.review_hide(actor=moderator, review_id=of_tutor.pk, reason="again")

    def test_moderators_cannot_see_or_hide_a_sealed_review(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        sealed = learner_review(booking, learner)
        with pytest.raises(NotFound):
            services.review_hide(actor=make_moderator(), review_id=sealed.pk, reason="x")

    def test_dismissing_keeps_the_review(self) -> None:
        _booking, of_tutor, _ = revealed_pair()
        services.review_report(actor=of_tutor.subject, review_id=of_tutor.pk, reason="Meh")
        assert services.review_reports_dismiss(actor=make_moderator(), review_id=of_tutor.pk) == 1
        of_tutor.refresh_from_db()
        assert of_tutor.hidden_at is None and list(selectors.moderation_queue()) == []
