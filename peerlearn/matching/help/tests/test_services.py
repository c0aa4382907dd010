from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from peerlearn.accounts.models import Subject, TeachingSubject, User
from peerlearn.common.errors import Conflict, NotFound, ServiceError
from peerlearn.common.task_backends import deferred_tasks, run_deferred_tasks
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.matching.help import selectors, services
from peerlearn.matching.help.models import HelpOffer, HelpRequest
from peerlearn.notifications.models import Notification
from peerlearn.scheduling import services as scheduling
from peerlearn.scheduling.models import Booking, BookingEvent

from .conftest import NOW, SLOT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_candidates", "frozen_time")]
Offer = HelpOffer.Status


@pytest.fixture
def topic() -> Subject:
    return make_subject("Graphs")


@pytest.fixture
def tutors(topic: Subject) -> list[User]:
    return [make_tutor(display_name=f"Tutor {i}", subject=topic) for i in range(5)]


@pytest.fixture
def learner() -> User:
    return make_user(display_name="Lee")


@pytest.fixture
def step(django_capture_on_commit_callbacks: Any) -> Callable[[Callable[[], Any]], Any]:
    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):  # as after each real commit
            return action()

    return run


def ask(learner: User, topic: Subject, **kw: Any) -> HelpRequest:
    return services.help_request_create(
        actor=learner,
        subject_id=kw.pop("subject_id", topic.pk),
        description=kw.pop("description", "Dijkstra with negative edges?"),
        starts_at=kw.pop("starts_at", SLOT),
        duration_minutes=kw.pop("duration_minutes", 60),
    )


def offer_of(request: HelpRequest, tutor: User) -> HelpOffer:
    return HelpOffer.objects.get(request=request, tutor=tutor)


def statuses(request: HelpRequest) -> dict[int, str]:
    return dict(HelpOffer.objects.filter(request=request).values_list("tutor_id", "status"))


class TestCreate:
    def test_offered_at_once_to_the_top_n_each_notified_in_app_and_by_email(
        self, step: Any, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        # The last tutor is verified: the fallback puts verified tutors first.
        TeachingSubject.objects.filter(user=tutors[4]).update(verified_at=NOW)
        request = step(lambda: ask(learner, topic))

        asked = [o.tutor_id for o in request.offers.order_by("rank")]
        assert asked == [tutors[4].pk, tutors[0].pk, tutors[1].pk]
        assert request.status == "open" and request.round == 1
        assert request.round_ends_at == NOW + timedelta(minutes=15)
        notes = Notification.objects.filter(kind="help_request")
        assert sorted(notes.values_list("user_id", flat=True)) == sorted(asked)
        assert all(n.url == "/help/offers/" for n in notes)
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            User.objects.get(pk=pk).email for pk in asked
        )
        # The end of the round is scheduled.
        (task,) = deferred_tasks()
        assert task.task.run_after == NOW + timedelta(minutes=15)

    def test_the_offer_count_is_a_setting(
        self, settings: Any, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        settings.HELP_REQUEST_OFFER_COUNT = 2
        assert ask(learner, topic).offers.count() == 2

    def test_tutors_of_the_parent_subject_count_and_the_learner_is_never_asked(
        self, learner: User, topic: Subject
    ) -> None:
        parent_tutor = make_tutor(display_name="Pat", subject=topic.parent)
        TeachingSubject.objects.create(user=learner, subject=topic)
        request = ask(learner, topic)
        assert [o.tutor_id for o in request.offers.all()] == [parent_tutor.pk]

    @pytest.mark.parametrize(
        ("kw", "code"),
        [
            ({"description": "  "}, "required"),
            ({"duration_minutes": 50}, "invalid_duration"),
            ({"starts_at": NOW - timedelta(hours=1)}, "in_past"),
            ({"starts_at": SLOT.replace(tzinfo=None)}, "naive_datetime"),
            ({"subject_id": 999999}, "invalid_subject"),
        ],
    )
    def test_bad_input_is_refused(
        self, learner: User, topic: Subject, tutors: list[User], kw: dict[str, Any], code: str
    ) -> None:
        with pytest.raises(ServiceError) as exc:
            ask(learner, topic, **kw)
        assert exc.value.code == code
        assert not HelpRequest.objects.exists()

    def test_no_tutor_for_the_subject_is_refused(self, learner: User) -> None:
        with pytest.raises(ServiceError, match="No tutor") as exc:
            ask(learner, make_subject("Nobody teaches this"))
        assert exc.value.code == "no_tutors"

    def test_at_most_three_open_requests(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        for hours in range(3):
            ask(learner, topic, starts_at=SLOT + timedelta(hours=hours))
        with pytest.raises(Conflict) as exc:
            ask(learner, topic)
        assert exc.value.code == "too_many_open"


class TestAccept:
    def test_the_first_to_accept_gets_a_booking_made_through_the_scheduling_services(
        self, step: Any, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        request = step(lambda: ask(learner, topic, description="Shortest paths"))
        winner, other = tutors[1], tutors[0]
        mail.outbox.clear()

        offer_id = offer_of(request, winner).pk
        step(lambda: services.help_offer_accept(actor=winner, offer_id=offer_id))

        request.refresh_from_db()
        assert request.status == "accepted" and request.accepted_by == winner
        booking = request.booking
        assert booking is not None
        assert (booking.tutor, booking.created_by, booking.status) == (winner, learner, "confirmed")
        assert (booking.starts_at, booking.duration_minutes) == (SLOT, 60)
        assert booking.note == "Shortest paths"
        # The learner's request, then the tutor's accept: the scheduling services' audit trail.
        trail = BookingEvent.objects.filter(booking=booking).values_list("action", "actor")
        assert list(trail) == [
            ("request", learner.pk),
            ("accept", winner.pk),
        ]
        assert statuses(request) == {
            tutors[0].pk: Offer.TAKEN,
            winner.pk: Offer.ACCEPTED,
            tutors[2].pk: Offer.TAKEN,
        }
        assert offer_of(request, winner).response_seconds == 0
        assert Notification.objects.filter(
            user=learner, kind="help_request", title__contains="will help you"
        ).exists()
        assert any(learner.email in m.to for m in mail.outbox)
        # The winner hears of the confirmed session, not of a "request" they just accepted.
        winner_kinds = set(Notification.objects.filter(user=winner).values_list("kind", flat=True))
        assert "booking_confirmed" in winner_kinds and "booking_request" not in winner_kinds
        # Too late for the others, and for the winner a second time.
        for tutor in (other, winner):
            with pytest.raises(Conflict) as exc:
                services.help_offer_accept(actor=tutor, offer_id=offer_of(request, tutor).pk)
            assert exc.value.code == "taken"
        assert Booking.objects.count() == 1

    def test_a_busy_tutor_fails_cleanly_and_the_request_stays_open(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        busy = tutors[0]
        request = ask(learner, topic)  # free when asked, booked by someone else since
        someone = make_user()
        other = scheduling.booking_request(
            actor=someone,
            tutor_id=busy.pk,
            subject_id=topic.pk,
            starts_at=SLOT + timedelta(minutes=30),
            duration_minutes=60,
        )
        scheduling.booking_accept(actor=busy, booking_id=other.pk)

        with pytest.raises(Conflict) as exc:
            services.help_offer_accept(actor=busy, offer_id=offer_of(request, busy).pk)

        assert exc.value.code == "unavailable"
        request.refresh_from_db()
        assert request.status == "open"
        busy_offer = offer_of(request, busy)
        assert busy_offer.status == Offer.UNAVAILABLE and busy_offer.responded_at == NOW
        assert Booking.objects.filter(tutor=busy).count() == 1  # only the earlier one
        # Another tutor can still take it.
        services.help_offer_accept(actor=tutors[1], offer_id=offer_of(request, tutors[1]).pk)
        request.refresh_from_db()
        assert request.status == "accepted" and request.accepted_by == tutors[1]

    def test_only_tutors_bookable_at_the_requested_time_are_asked(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        """Busy then (another session), outside their hours, or on a full day: not asked, so
        an offer's Accept books; a round with nobody free left expires the request."""
        busy = tutors[0]
        other = scheduling.booking_request(
            actor=make_user(),
            tutor_id=busy.pk,
            subject_id=topic.pk,
            starts_at=SLOT + timedelta(minutes=30),
            duration_minutes=60,
        )
        scheduling.booking_accept(actor=busy, booking_id=other.pk)
        evening = make_tutor(
            display_name="Evenings", subject=topic, windows=[(2, "18:00", "22:00")]
        )
        request = ask(learner, topic)
        asked = set(request.offers.values_list("tutor_id", flat=True))
        assert busy.pk not in asked and evening.pk not in asked
        assert asked == {tutors[1].pk, tutors[2].pk, tutors[3].pk}
        for tutor in (tutors[1], tutors[2]):
            services.help_offer_decline(actor=tutor, offer_id=offer_of(request, tutor).pk)
        accepted = services.help_offer_accept(
            actor=tutors[3], offer_id=offer_of(request, tutors[3]).pk
        )
        assert accepted.status == Offer.ACCEPTED

    def test_nobody_free_then_is_refused_with_a_clear_message(
        self, learner: User, topic: Subject
    ) -> None:
        make_tutor(display_name="Evenings", subject=topic, windows=[(2, "18:00", "22:00")])
        with pytest.raises(ServiceError) as exc:
            ask(learner, topic)
        assert exc.value.code == "no_tutors" and "free at that time" in exc.value.message

    def test_a_learner_already_busy_then_makes_every_accept_fail_cleanly(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        other_tutor = make_tutor(display_name="Elsewhere", subject=make_subject("Other"))
        scheduling.booking_request(
            actor=learner,
            tutor_id=other_tutor.pk,
            subject_id=other_tutor.teaching_subjects.get().subject_id,
            starts_at=SLOT,
            duration_minutes=60,
        )
        request = ask(learner, topic)
        with pytest.raises(Conflict):
            services.help_offer_accept(actor=tutors[0], offer_id=offer_of(request, tutors[0]).pk)
        assert HelpRequest.objects.get().status == "open"


class TestDecline:
    def test_a_decline_is_recorded_with_its_reason(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        request = ask(learner, topic)
        offer = services.help_offer_decline(
            actor=tutors[0], offer_id=offer_of(request, tutors[0]).pk, reason="Exam week"
        )
        assert (offer.status, offer.decline_reason, offer.responded_at) == (
            Offer.DECLINED,
            "Exam week",
            NOW,
        )
        with pytest.raises(Conflict) as exc:
            services.help_offer_accept(actor=tutors[0], offer_id=offer.pk)
        assert exc.value.code == "offer_closed"

    def test_when_everybody_of_a_round_declines_the_next_tutors_are_asked_at_once(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        request = ask(learner, topic)
        for tutor in tutors[:3]:
            services.help_offer_decline(actor=tutor, offer_id=offer_of(request, tutor).pk)
        request.refresh_from_db()
        assert request.round == 2 and request.status == "open"
        assert statuses(request)[tutors[3].pk] == Offer.PENDING
        assert statuses(request)[tutors[4].pk] == Offer.PENDING


class TestWideningAndExpiry:
    def test_unanswered_offers_expire_and_widen_then_the_request_expires(
        self,
        step: Any,
        frozen_time: Any,
        learner: User,
        topic: Subject,
        tutors: list[User],
        settings: Any,
    ) -> None:
        settings.HELP_REQUEST_OFFER_TIMEOUT_MINUTES = 10
        request = step(lambda: ask(learner, topic))

        frozen_time.move_to(NOW + timedelta(minutes=10))
        assert step(lambda: run_deferred_tasks(until=NOW + timedelta(minutes=10))) == 1

        request.refresh_from_db()
        assert request.round == 2 and request.status == "open"
        assert statuses(request) == {
            **{t.pk: Offer.EXPIRED for t in tutors[:3]},
            **{t.pk: Offer.PENDING for t in tutors[3:]},
        }
        new_offers = Notification.objects.filter(
            kind="help_request", user__in=tutors[3:], created_at=NOW + timedelta(minutes=10)
        )
        assert new_offers.count() == 2
        # An expired offer cannot be accepted any more.
        with pytest.raises(Conflict):
            services.help_offer_accept(actor=tutors[0], offer_id=offer_of(request, tutors[0]).pk)

        frozen_time.move_to(NOW + timedelta(minutes=20))
        assert step(lambda: run_deferred_tasks(until=NOW + timedelta(minutes=20))) == 1

        request.refresh_from_db()
        assert request.status == "expired" and request.closed_at == NOW + timedelta(minutes=20)
        assert set(statuses(request).values()) == {Offer.EXPIRED}
        told = Notification.objects.get(user=learner, kind="help_request")
        assert "No tutor could take" in told.title
        assert deferred_tasks() == []

    def test_after_the_maximum_number_of_rounds_the_request_expires(
        self, step: Any, frozen_time: Any, learner: User, topic: Subject, settings: Any
    ) -> None:
        settings.HELP_REQUEST_MAX_ROUNDS = 2
        settings.HELP_REQUEST_OFFER_COUNT = 1
        for i in range(4):
            make_tutor(display_name=f"T{i}", subject=topic)
        request = step(lambda: ask(learner, topic))
        for minutes in (15, 30):
            frozen_time.move_to(NOW + timedelta(minutes=minutes))
            step(lambda m=minutes: run_deferred_tasks(until=NOW + timedelta(minutes=m)))
        request.refresh_from_db()
        assert request.status == "expired" and request.round == 2
        assert request.offers.count() == 2  # two rounds of one tutor; two tutors never asked

    def test_a_stale_round_end_does_nothing(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        request = ask(learner, topic)
        services.help_offer_accept(actor=tutors[0], offer_id=offer_of(request, tutors[0]).pk)
        assert services.help_request_round_end(request_id=request.pk, round=1) is None
        assert services.help_request_round_end(request_id=999999, round=1) is None
        assert HelpRequest.objects.get().status == "accepted"


class TestCancelAndPermissions:
    def test_the_learner_cancels_and_nobody_can_accept_any_more(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        request = ask(learner, topic)
        with pytest.raises(NotFound):
            services.help_request_cancel(actor=tutors[0], request_id=request.pk)
        services.help_request_cancel(actor=learner, request_id=request.pk)
        assert set(statuses(request).values()) == {Offer.CANCELLED}
        with pytest.raises(Conflict) as exc:
            services.help_offer_accept(actor=tutors[0], offer_id=offer_of(request, tutors[0]).pk)
        assert exc.value.code == "cancelled"
        with pytest.raises(Conflict):
            services.help_request_cancel(actor=learner, request_id=request.pk)

    def test_only_the_asked_tutors_see_or_answer_an_offer(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        request = ask(learner, topic)
        offer = offer_of(request, tutors[0])
        not_asked = tutors[4]
        for user in (not_asked, tutors[1], learner):
            with pytest.raises(NotFound):
                selectors.access_help_offer(user=user, offer_id=offer.pk)
            with pytest.raises(NotFound):
                services.help_offer_accept(actor=user, offer_id=offer.pk)
            with pytest.raises(NotFound):
                services.help_offer_decline(actor=user, offer_id=offer.pk)
        assert selectors.access_help_offer(user=tutors[0], offer_id=offer.pk) == offer
        assert list(selectors.offers_for(user=not_asked)) == []

    def test_only_the_learner_sees_the_request(
        self, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        request = ask(learner, topic)
        for user in (tutors[0], make_user()):
            with pytest.raises(NotFound):
                selectors.access_help_request(user=user, request_id=request.pk)
        assert selectors.access_help_request(user=learner, request_id=request.pk) == request


class TestRanker:
    def test_the_ranker_is_used_when_there_and_told_whom_to_leave_out(
        self, monkeypatch: pytest.MonkeyPatch, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        from peerlearn.matching import recommend

        calls: list[dict[str, Any]] = []

        def top_tutors(**kw: Any) -> list[recommend.Recommendation]:
            calls.append(kw)
            return [
                recommend.Recommendation(tutors[3].pk, 0.9, {}, "Teaches Graphs at expert level")
            ]

        monkeypatch.setattr(recommend, "top_tutors", top_tutors)
        request = ask(learner, topic)
        (offer,) = request.offers.all()
        assert (offer.tutor_id, offer.score, offer.explanation) == (
            tutors[3].pk,
            0.9,
            "Teaches Graphs at expert level",
        )
        assert calls[0]["subject_id"] == topic.pk and learner.pk in calls[0]["exclude_ids"]

    def test_a_failing_ranker_falls_back_to_the_plain_query(
        self, monkeypatch: pytest.MonkeyPatch, learner: User, topic: Subject, tutors: list[User]
    ) -> None:
        from peerlearn.matching import recommend

        def broken(**kw: Any) -> list[Any]:
            raise RuntimeError("index not built")

        monkeypatch.setattr(recommend, "top_tutors", broken)
        assert ask(learner, topic).offers.count() == 3
