"""Reads: the reveal rule, a participant's state, pending reviews, and the aggregates (the
Bayesian average against hand-computed values, dimensions, trend, Top Mentor counting)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from peerlearn.common.testing import make_moderator, make_tutor, make_user
from peerlearn.reviews import selectors, services
from peerlearn.reviews.models import Review

from .factories import (
    NOW,
    completed_booking,
    learner_review,
    people,
    rated_tutor,
    tutor_review,
)

pytestmark = pytest.mark.django_db


def scores(c: int, k: int, p: int, u: int) -> dict[str, int]:
    return {"clarity": c, "knowledge": k, "patience": p, "punctuality": u}


# --- the reveal rule ----------------------------------------------------------------------------


class TestReveal:
    def test_a_review_is_sealed_until_the_other_side_writes(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        first = learner_review(booking, learner)
        assert not selectors.is_revealed(first)
        assert list(selectors.revealed(Review.objects.all())) == []
        second = tutor_review(booking, tutor, learner)
        assert selectors.is_revealed(first) and selectors.is_revealed(second)
        assert set(selectors.revealed(Review.objects.all())) == {first, second}

    def test_the_window_closing_reveals_a_lone_review(self, frozen: time_machine.Traveller) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        review = learner_review(booking, learner)
        frozen.move_to(booking.ends_at + timedelta(days=14) - timedelta(seconds=1))
        assert not selectors.is_revealed(review)
        frozen.move_to(booking.ends_at + timedelta(days=14))
        assert selectors.is_revealed(review)

    def test_in_a_group_the_reveal_is_per_pair(self) -> None:
        tutor, learner = people()
        other = make_user()
        booking = completed_booking(tutor, [learner, other])
        by_learner = learner_review(booking, learner)
        by_other = learner_review(booking, other)
        tutor_review(booking, tutor, learner)
        assert selectors.is_revealed(by_learner)
        assert not selectors.is_revealed(by_other)

    def test_annotation_and_single_check_agree(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        learner_review(booking, learner)
        annotated = selectors.with_reveal(Review.objects.all()).get()
        assert annotated.is_revealed_now is False  # type: ignore[attr-defined]


class TestAccess:
    def test_who_may_read_a_review(self) -> None:
        tutor, learner = people()
        other, stranger, moderator = make_user(), make_user(), make_moderator()
        booking = completed_booking(tutor, [learner, other])
        review = learner_review(booking, learner)
        assert selectors.access_review(user=learner, review_id=review.pk) == review
        for someone in (tutor, other, stranger, moderator):
            with pytest.raises(selectors.NotFound):
                selectors.access_review(user=someone, review_id=review.pk)
        tutor_review(booking, tutor, learner)
        for someone in (tutor, other, moderator):
            assert selectors.access_review(user=someone, review_id=review.pk) == review
        with pytest.raises(selectors.NotFound):
            selectors.access_review(user=stranger, review_id=review.pk)

    def test_a_tutors_review_of_a_learner_is_for_that_learner_only(self) -> None:
        tutor, learner = people()
        other = make_user()
        booking = completed_booking(tutor, [learner, other])
        review = tutor_review(booking, tutor, learner)
        learner_review(booking, learner)
        assert selectors.access_review(user=learner, review_id=review.pk) == review
        with pytest.raises(selectors.NotFound):
            selectors.access_review(user=other, review_id=review.pk)


class TestState:
    def test_a_participants_state_before_and_after(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        state = selectors.review_state_for(learner, booking)
        assert state.can_review and state.mine == [] and state.theirs_revealed == []
        assert state.due_until == booking.ends_at + timedelta(days=14)
        tutor_review(booking, tutor, learner)
        state = selectors.review_state_for(learner, booking)
        assert state.can_review and state.theirs_revealed == []
        assert state.pairs[0].theirs_submitted and state.pairs[0].theirs is None
        mine = learner_review(booking, learner)
        state = selectors.review_state_for(learner, booking)
        assert not state.can_review and state.mine == [mine]
        assert [r.author for r in state.theirs_revealed] == [tutor]

    def test_a_stranger_has_nothing_to_do(self) -> None:
        tutor, learner = people()
        booking = completed_booking(tutor, [learner])
        state = selectors.review_state_for(make_user(), booking)
        assert not state.can_review and state.pairs == []

    def test_pending_lists_each_subject_until_written_or_closed(
        self, frozen: time_machine.Traveller
    ) -> None:
        tutor, learner = people()
        other = make_user()
        booking = completed_booking(tutor, [learner, other])
        assert [p.subject for p in selectors.pending_for(tutor)] == [learner, other]
        tutor_review(booking, tutor, learner)
        assert [p.subject for p in selectors.pending_for(tutor)] == [other]
        assert [p.subject for p in selectors.pending_for(learner)] == [tutor]
        frozen.shift(timedelta(days=15))
        assert selectors.pending_for(tutor) == []


# --- aggregates ---------------------------------------------------------------------------------


class TestTutorRating:
    def test_no_reviews_is_the_prior(self) -> None:
        rating = selectors.tutor_rating(make_tutor())
        assert (rating.count, rating.bayesian, rating.average) == (0, 4.0, None)
        assert rating.per_dimension == dict.fromkeys(
            ["clarity", "knowledge", "patience", "punctuality"]
        )

    def test_against_hand_computed_values_and_hiding_updates_them(self) -> None:
        tutor, lee = people()
        ann, bob, cy = make_user(), make_user(), make_user()
        other_tutor = make_tutor(display_name="Other")
        # Ann → 4.5, Bob → 3.0 for Tara; Cy → 2.0 for Other; all revealed by a review back.
        for learner, who, s in (
            (ann, tutor, scores(5, 4, 5, 4)),
            (bob, tutor, scores(3, 3, 4, 2)),
            (cy, other_tutor, scores(2, 2, 2, 2)),
        ):
            booking = completed_booking(who, [learner])
            learner_review(booking, learner, comment=f"by {learner.pk}", scored=s)
            tutor_review(booking, who, learner)
        # Sealed (Tara has not reviewed Lee back): counts nowhere.
        learner_review(completed_booking(tutor, [lee]), lee, scored=scores(1, 1, 1, 1))

        # m = (4.5 + 3.0 + 2.0) / 3 = 3.1667 (< 4.0); Tara: (5·3.1667 + 7.5) / (5 + 2) = 3.3333
        rating = selectors.tutor_rating(tutor)
        assert rating.prior == pytest.approx(3.17)
        assert rating.count == 2
        assert rating.average == pytest.approx(3.75)
        assert rating.bayesian == pytest.approx(3.33)
        assert rating.per_dimension == {
            "clarity": 4.0,
            "knowledge": 3.5,
            "patience": 4.5,
            "punctuality": 3.0,
        }
        assert [c.comment for c in rating.recent] == [f"by {bob.pk}", f"by {ann.pk}"]

        bobs = Review.objects.get(author=bob)
        services.review_hide(actor=make_moderator(), review_id=bobs.pk, reason="Abusive")
        # m = (4.5 + 2.0) / 2 = 3.25; Tara: (5·3.25 + 4.5) / 6 = 3.4583
        rating = selectors.tutor_rating(tutor)
        assert rating.count == 1
        assert rating.prior == pytest.approx(3.25)
        assert rating.bayesian == pytest.approx(3.46)
        assert rating.per_dimension["clarity"] == 5.0
        assert [c.comment for c in rating.recent] == [f"by {ann.pk}"]

    def test_one_perfect_review_ranks_below_fifty_at_four_point_eight(self) -> None:
        newcomer = rated_tutor([5], name="New")
        veteran = rated_tutor([5] * 40 + [4] * 10, name="Veteran")
        new, old = selectors.tutor_rating(newcomer), selectors.tutor_rating(veteran)
        assert old.average == pytest.approx(4.8) and new.average == 5.0
        # The platform mean is 4.80, above the cap: m = 4.0.
        # New: (5·4 + 5) / 6 = 4.17; Veteran: (5·4 + 240) / 55 = 4.73.
        assert new.prior == old.prior == 4.0
        assert new.bayesian == pytest.approx(4.17)
        assert old.bayesian == pytest.approx(4.73)
        assert new.bayesian < old.bayesian

    def test_the_trend_is_monthly_over_six_months(self, frozen: time_machine.Traveller) -> None:
        tutor, learner = people()
        january = completed_booking(tutor, [learner], ends_at=datetime(2027, 1, 15, 10, tzinfo=UTC))
        august = completed_booking(tutor, [learner], ends_at=datetime(2026, 8, 15, 10, tzinfo=UTC))
        for booking, stars in ((january, 4), (august, 1)):
            frozen.move_to(booking.ends_at + timedelta(hours=1))
            learner_review(booking, learner, scored=scores(stars, stars, stars, stars))
        frozen.move_to(NOW)  # both windows closed: revealed without the tutor's review
        march = completed_booking(tutor, [learner])
        learner_review(march, learner, scored=scores(5, 5, 5, 5))
        tutor_review(march, tutor, learner)
        trend = selectors.tutor_rating(tutor).trend
        assert [(p.month, p.average, p.count) for p in trend] == [
            (date(2026, 10, 1), None, 0),
            (date(2026, 11, 1), None, 0),
            (date(2026, 12, 1), None, 0),
            (date(2027, 1, 1), 4.0, 1),
            (date(2027, 2, 1), None, 0),
            (date(2027, 3, 1), 5.0, 1),
        ]
        assert selectors.tutor_rating(tutor).count == 3  # August counts overall, not in the trend


class TestLearnerRating:
    def test_aggregate_only_of_revealed_visible_reviews(self) -> None:
        tutor, learner = people()
        for prep, eng in ((3, 4), (5, 5)):
            booking = completed_booking(tutor, [learner])
            tutor_review(booking, tutor, learner, preparedness=prep, engagement=eng)
            learner_review(booking, learner)
        tutor_review(completed_booking(tutor, [learner]), tutor, learner, preparedness=1)
        rating = selectors.learner_rating(learner)
        assert rating.count == 2
        assert rating.per_dimension == {"preparedness": 4.0, "engagement": 4.5}


class TestSessionsRatedAtLeast:
    def test_counts_completed_revealed_visible_sessions_at_or_above(self) -> None:
        tutor, lee = people()

        def session(*learner_stars: int, reveal: bool = True) -> list[Review]:
            learners = [make_user() for _ in learner_stars]
            booking = completed_booking(tutor, learners)
            made = []
            for learner, stars in zip(learners, learner_stars, strict=True):
                made.append(
                    learner_review(booking, learner, scored=scores(stars, stars, stars, stars))
                )
                if reveal:
                    tutor_review(booking, tutor, learner)
            return made

        session(5)  # 5.0 ✓
        booking = completed_booking(tutor, [lee])  # 4.5 exactly ✓
        learner_review(booking, lee, scored=scores(5, 4, 5, 4))
        tutor_review(booking, tutor, lee)
        session(4)  # 4.0 ✗
        session(5, 4)  # group: mean 4.5 ✓ (counted once)
        session(5, reveal=False)  # sealed ✗
        hidden = session(5)[0]  # hidden ✗
        services.review_hide(actor=make_moderator(), review_id=hidden.pk, reason="Fake")
        assert selectors.sessions_rated_at_least(tutor, 4.5) == 3
        assert selectors.sessions_rated_at_least(tutor, 5) == 1
        assert selectors.sessions_rated_at_least(tutor, 1) == 4
