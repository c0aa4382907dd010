"""A stateful property test of the booking lifecycle: Hypothesis drives random sequences of
requests, answers, counter-proposals, reschedules, cancellations, completions (moving the frozen
clock) and group seats across three tutors and four learners, and after every step checks that
nobody is in two places at once.

Each example runs inside a savepoint of the test's transaction (rolled back at its end) with its
own frozen clock, so examples start from the same people and an empty calendar.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from peerlearn.accounts.models import User
from peerlearn.common.errors import ServiceError
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.scheduling import selectors, services
from peerlearn.scheduling.models import Booking, RescheduleProposal, TimeClaim, TutorPolicy

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # a Monday, before either daylight-saving change
LAST_CLOCK = NOW + timedelta(days=5)
ACTIVE = set(Booking.ACTIVE_STATUSES)
RELEASED = {Booking.Status.DECLINED, Booking.Status.CANCELLED}

# Candidate times: the next days, 08:00-16:30 UTC on the half hour. Many fall inside the tutors'
# windows (09:00-17:00 in their zone, one of them Berlin); the rest exercise the refusals.
times = st.builds(
    lambda day, hour, minute: NOW.replace(hour=0) + timedelta(days=day, hours=hour, minutes=minute),
    st.integers(1, 5),
    st.integers(8, 16),
    st.sampled_from([0, 30]),
)
durations = st.sampled_from([30, 45, 60, 90])
# Usually the person who may take the action, sometimes someone who may not (then refused).
rightful = st.sampled_from([True, True, True, False])
indexes = st.integers(0, 1000)
REQUESTED, COUNTERED, CONFIRMED = (
    Booking.Status.REQUESTED,
    Booking.Status.COUNTERED,
    Booking.Status.CONFIRMED,
)
ONE_TO_ONE, GROUP = Booking.Kind.ONE_TO_ONE, Booking.Kind.GROUP
PENDING = RescheduleProposal.Status.PENDING

OVERLAPPING_ACTIVE_CLAIMS_SQL = """
SELECT a.user_id, a.booking_id, b.booking_id
FROM scheduling_timeclaim a
JOIN scheduling_timeclaim b
  ON a.user_id = b.user_id AND a.id < b.id
 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
WHERE a.active AND b.active
"""


def scheduling_machine(tutors: list[User], learners: list[User]) -> type[RuleBasedStateMachine]:
    """The state machine over these people (created once per test, outside the examples).
    The last tutor also books sessions as a learner, so one person holds both kinds of claim."""
    everyone = [*tutors, *learners]
    askers = [*learners, tutors[-1]]
    subject_of = {t.pk: t.teaching_subjects.get().subject_id for t in tutors}
    policy_of = {t.pk: selectors.policy_for(t) for t in tutors}

    class Scheduling(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.savepoint = transaction.savepoint()
            self.clock = time_machine.travel(NOW, tick=False)
            self.traveller = self.clock.start()

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)
            self.clock.stop()

        # --- helpers ------------------------------------------------------------------

        @staticmethod
        def attempt(action: Callable[[], object]) -> None:
            """Call a service; a refusal (any ServiceError) is a legal outcome of a random
            step. Anything else (a database error, a crash) fails the test."""
            with contextlib.suppress(ServiceError):
                action()

        @staticmethod
        def learner_of(booking: Booking) -> User:
            return User.objects.get(pk=booking.created_by_id)

        @staticmethod
        def stranger_to(booking: Booking) -> User:
            involved = {booking.tutor_id, booking.created_by_id}
            return next(u for u in everyone if u.pk not in involved)

        def actor(self, booking: Booking, natural: User, right: bool) -> User:
            return natural if right else self.stranger_to(booking)

        def exists(self, *statuses: str, **filters: Any) -> bool:
            return Booking.objects.filter(status__in=statuses, **filters).exists()

        @staticmethod
        def pick(index: int, *statuses: str, **filters: Any) -> Booking:
            """The ``index``-th (modulo) booking in one of ``statuses``: steps act on bookings
            in a state where the action can succeed, so the long paths get explored."""
            candidates = list(Booking.objects.filter(status__in=statuses, **filters).order_by("pk"))
            return candidates[index % len(candidates)]

        # --- requests and answers ---------------------------------------------------------

        @rule(
            learner=st.sampled_from(askers),
            tutor=st.sampled_from(tutors),
            start=times,
            minutes=durations,
        )
        def request(self, learner: User, tutor: User, start: datetime, minutes: int) -> None:
            self.attempt(
                lambda: services.booking_request(
                    actor=learner,
                    tutor_id=tutor.pk,
                    subject_id=subject_of[tutor.pk],
                    starts_at=start,
                    duration_minutes=minutes,
                    note="stateful",
                ),
            )

        @precondition(lambda self: self.exists(REQUESTED))
        @rule(index=indexes, right=rightful)
        def accept(self, index: int, right: bool) -> None:
            booking = self.pick(index, REQUESTED)
            actor = self.actor(booking, booking.tutor, right)
            self.attempt(lambda: services.booking_accept(actor=actor, booking_id=booking.pk))

        @precondition(lambda self: self.exists(REQUESTED, COUNTERED))
        @rule(index=indexes, right=rightful)
        def decline(self, index: int, right: bool) -> None:
            booking = self.pick(index, REQUESTED, COUNTERED)
            answering = self.learner_of(booking) if booking.status == COUNTERED else booking.tutor
            actor = self.actor(booking, answering, right)
            self.attempt(
                lambda: services.booking_decline(actor=actor, booking_id=booking.pk, reason="no"),
            )

        @precondition(lambda self: self.exists(REQUESTED))
        @rule(index=indexes, start=times, right=rightful)
        def counter(self, index: int, start: datetime, right: bool) -> None:
            booking = self.pick(index, REQUESTED)
            actor = self.actor(booking, booking.tutor, right)
            self.attempt(
                lambda: services.booking_counter(
                    actor=actor, booking_id=booking.pk, starts_at=start, note="later?"
                ),
            )

        @precondition(lambda self: self.exists(COUNTERED))
        @rule(index=indexes, right=rightful)
        def counter_accept(self, index: int, right: bool) -> None:
            booking = self.pick(index, COUNTERED)
            actor = self.actor(booking, self.learner_of(booking), right)
            self.attempt(
                lambda: services.booking_counter_accept(actor=actor, booking_id=booking.pk),
            )

        # --- confirmed sessions ---------------------------------------------------------

        @precondition(lambda self: self.exists(CONFIRMED, kind=ONE_TO_ONE))
        @rule(index=indexes, start=times, by_tutor=st.booleans())
        def reschedule_propose(self, index: int, start: datetime, by_tutor: bool) -> None:
            booking = self.pick(index, CONFIRMED, kind=ONE_TO_ONE)
            actor = booking.tutor if by_tutor else self.learner_of(booking)
            self.attempt(
                lambda: services.booking_reschedule_propose(
                    actor=actor, booking_id=booking.pk, starts_at=start
                ),
            )

        @precondition(lambda self: RescheduleProposal.objects.filter(status=PENDING).exists())
        @rule(index=indexes, accept=st.booleans(), right=rightful)
        def reschedule_respond(self, index: int, accept: bool, right: bool) -> None:
            pending = list(
                RescheduleProposal.objects.filter(status=PENDING)
                .select_related("booking__tutor")
                .order_by("pk")
            )
            proposal = pending[index % len(pending)]
            booking = proposal.booking
            learner = self.learner_of(booking)
            other = learner if proposal.proposed_by_id == booking.tutor_id else booking.tutor
            actor = other if right else User.objects.get(pk=proposal.proposed_by_id)
            self.attempt(
                lambda: services.booking_reschedule_respond(
                    actor=actor, proposal_id=proposal.pk, accept=accept
                ),
            )

        @precondition(lambda self: self.exists(*ACTIVE))
        @rule(index=indexes, by_tutor=st.booleans())
        def cancel(self, index: int, by_tutor: bool) -> None:
            booking = self.pick(index, *ACTIVE)
            actor = booking.tutor if by_tutor else self.learner_of(booking)
            self.attempt(
                lambda: services.booking_cancel(actor=actor, booking_id=booking.pk, reason="ill"),
            )

        @precondition(lambda self: datetime.now(UTC) < LAST_CLOCK)
        @rule(hours=st.sampled_from([1, 3, 12, 24]))
        def advance_clock(self, hours: int) -> None:
            self.traveller.shift(timedelta(hours=hours))

        @precondition(lambda self: self.exists(CONFIRMED, ends_at__lte=datetime.now(UTC)))
        @rule(index=indexes, by_tutor=st.booleans(), no_show=st.booleans())
        def complete(self, index: int, by_tutor: bool, no_show: bool) -> None:
            booking = self.pick(index, CONFIRMED, ends_at__lte=datetime.now(UTC))
            actor = booking.tutor if by_tutor else self.learner_of(booking)
            if no_show and booking.kind == ONE_TO_ONE:
                absent = self.learner_of(booking) if by_tutor else booking.tutor
                self.attempt(
                    lambda: services.booking_mark_no_show(
                        actor=actor, booking_id=booking.pk, absent_user_id=absent.pk
                    ),
                )
                return
            self.attempt(lambda: services.booking_complete(actor=actor, booking_id=booking.pk))

        # --- group sessions ---------------------------------------------------------------

        @rule(
            tutor=st.sampled_from(tutors),
            start=times,
            minutes=durations,
            capacity=st.integers(2, 3),
        )
        def group_open(self, tutor: User, start: datetime, minutes: int, capacity: int) -> None:
            self.attempt(
                lambda: services.group_session_create(
                    actor=tutor,
                    subject_id=subject_of[tutor.pk],
                    starts_at=start,
                    duration_minutes=minutes,
                    capacity=capacity,
                    title="Group",
                ),
            )

        @precondition(lambda self: self.exists(CONFIRMED, kind=GROUP))
        @rule(index=indexes, learner=st.sampled_from(askers), take=st.booleans())
        def group_seat(self, index: int, learner: User, take: bool) -> None:
            group = self.pick(index, CONFIRMED, kind=GROUP)
            action = services.group_seat_take if take else services.group_seat_release
            self.attempt(
                lambda: action(actor=learner, booking_id=group.pk),
            )

        # --- anyone trying anything on any booking: refused or legal, never harmful -----

        @precondition(lambda self: Booking.objects.exists())
        @rule(
            index=indexes,
            person=st.sampled_from(everyone),
            action=st.sampled_from(
                ["accept", "counter_accept", "decline", "cancel", "complete", "seat_take"]
            ),
        )
        def meddle(self, index: int, person: User, action: str) -> None:
            booking = self.pick(index, *Booking.Status.values)
            calls: dict[str, Callable[[], object]] = {
                "accept": lambda: services.booking_accept(actor=person, booking_id=booking.pk),
                "counter_accept": lambda: services.booking_counter_accept(
                    actor=person, booking_id=booking.pk
                ),
                "decline": lambda: services.booking_decline(
                    actor=person, booking_id=booking.pk, reason="meddling"
                ),
                "cancel": lambda: services.booking_cancel(
                    actor=person, booking_id=booking.pk, reason="meddling"
                ),
                "complete": lambda: services.booking_complete(actor=person, booking_id=booking.pk),
                "seat_take": lambda: services.group_seat_take(actor=person, booking_id=booking.pk),
            }
            self.attempt(calls[action])

        # --- what must hold after every step --------------------------------------------

        @invariant()
        def no_two_active_claims_of_one_person_overlap(self) -> None:
            with connection.cursor() as cursor:
                cursor.execute(OVERLAPPING_ACTIVE_CLAIMS_SQL)
                assert cursor.fetchall() == []

        @invariant()
        def no_two_active_bookings_of_one_person_overlap(self) -> None:
            """Read from the bookings themselves (tutors with their buffers), not the claims."""
            busy: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
            bookings = Booking.objects.filter(status__in=ACTIVE).prefetch_related("claims")
            for booking in bookings:
                policy = policy_of[booking.tutor_id]
                start, end = selectors.tutor_claim_period(
                    policy, booking.starts_at, booking.ends_at
                )
                busy[booking.tutor_id].append((start, end, booking.pk))
                for learner_id in self.learners_in(booking):
                    busy[learner_id].append((booking.starts_at, booking.ends_at, booking.pk))
            for user_id, periods in busy.items():
                periods.sort()
                # Sorted by start, two periods overlap only if some neighbouring pair does.
                for (_, end, first), (start, _, second) in pairwise(periods):
                    assert end <= start, f"user {user_id}: bookings {first} and {second} overlap"

        @staticmethod
        def learners_in(booking: Booking) -> set[int]:
            if booking.kind == Booking.Kind.ONE_TO_ONE:
                return {booking.created_by_id}
            return {
                c.user_id
                for c in booking.claims.all()
                if c.role == TimeClaim.Role.LEARNER and c.active
            }

        @invariant()
        def claims_follow_their_bookings(self) -> None:
            for booking in Booking.objects.prefetch_related("claims"):
                claims = {c.user_id: c for c in booking.claims.all()}
                if booking.status in RELEASED:
                    assert not any(c.active for c in claims.values()), booking.pk
                    continue
                if booking.status not in ACTIVE:
                    continue
                tutor_claim = claims[booking.tutor_id]
                assert tutor_claim.active and tutor_claim.role == TimeClaim.Role.TUTOR
                assert (tutor_claim.starts_at, tutor_claim.ends_at) == selectors.tutor_claim_period(
                    policy_of[booking.tutor_id], booking.starts_at, booking.ends_at
                )
                seated = [
                    c for c in claims.values() if c.role == TimeClaim.Role.LEARNER and c.active
                ]
                for claim in seated:
                    assert (claim.starts_at, claim.ends_at) == (booking.starts_at, booking.ends_at)
                if booking.kind == Booking.Kind.ONE_TO_ONE:
                    assert [c.user_id for c in seated] == [booking.created_by_id]
                else:
                    assert len(seated) <= booking.capacity

    return Scheduling


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_no_person_is_ever_booked_twice_at_once() -> None:
    subject = make_subject("Stateful")
    tutors = [
        make_tutor(display_name="Tutor UTC", subject=subject),
        make_tutor(display_name="Tutor Berlin", subject=subject, timezone="Europe/Berlin"),
        make_tutor(display_name="Tutor who learns", subject=subject),
    ]
    # Different buffers and caps, so the tutors' claims are longer than their sessions.
    TutorPolicy.objects.create(
        user=tutors[0], buffer_before_minutes=15, buffer_after_minutes=15, max_sessions_per_day=3
    )
    TutorPolicy.objects.create(user=tutors[1], buffer_before_minutes=0, buffer_after_minutes=0)
    for tutor in tutors:
        tutor.refresh_from_db()
    learners = [make_user(display_name=f"Learner {i}") for i in range(4)]

    run_state_machine_as_test(
        scheduling_machine(tutors, learners),
        settings=settings(
            max_examples=60,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
