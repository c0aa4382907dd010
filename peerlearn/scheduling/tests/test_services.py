from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from icalendar import Calendar

from peerlearn.accounts.models import User
from peerlearn.common.errors import Conflict, Forbidden, NotFound, ServiceError
from peerlearn.common.task_backends import deferred_tasks, run_deferred_tasks
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.notifications.models import Notification
from peerlearn.scheduling import selectors, services
from peerlearn.scheduling.models import Booking, BookingEvent, TimeClaim
from peerlearn.scheduling.notify import notify_booking

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday
SLOT = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)  # Wednesday 10:00


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def tutor():
    return make_tutor("tutor@example.org", display_name="Tara")


@pytest.fixture
def learner():
    return make_user("learner@example.org", display_name="Lee")


def request(tutor, learner, start: datetime = SLOT, minutes: int = 60, **kw) -> Booking:
    return services.booking_request(
        actor=learner,
        tutor_id=tutor.pk,
        subject_id=tutor.teaching_subjects.get().subject_id,
        starts_at=start,
        duration_minutes=minutes,
        **kw,
    )


def confirmed(tutor, learner, start: datetime = SLOT) -> Booking:
    booking = request(tutor, learner, start)
    return services.booking_accept(actor=tutor, booking_id=booking.pk)


def ics_of(message) -> Calendar:
    (content,) = [a.content for a in message.attachments if a.filename == "invite.ics"]
    return Calendar.from_ical(content)


class TestRequestAndAnswer:
    def test_request_holds_the_slot_for_both_and_tells_the_tutor(
        self, tutor, learner, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            booking = request(tutor, learner, note="Dijkstra please")
        assert booking.status == Booking.Status.REQUESTED
        claims = {
            c.user_id: (c.starts_at, c.ends_at) for c in TimeClaim.objects.filter(active=True)
        }
        assert claims[learner.pk] == (SLOT, SLOT + timedelta(hours=1))
        assert claims[tutor.pk] == (
            SLOT,
            SLOT + timedelta(minutes=70),
        )  # default 10 min buffer after
        note = Notification.objects.get(user=tutor)
        assert note.kind == "booking_request" and "Dijkstra please" in note.body

    def test_a_taken_slot_is_refused_with_a_conflict(self, tutor, learner) -> None:
        request(tutor, learner)
        with pytest.raises(Conflict):
            request(tutor, make_user(), SLOT + timedelta(minutes=30))

    def test_a_learner_cannot_be_in_two_places(self, learner) -> None:
        first, second = make_tutor(display_name="A"), make_tutor(display_name="B")
        request(first, learner)
        with pytest.raises(Conflict) as info:
            request(second, learner, SLOT + timedelta(minutes=30))
        assert info.value.code == "overlap"

    @pytest.mark.parametrize(
        ("start", "minutes", "code"),
        [
            (SLOT, 50, "invalid_duration"),
            (datetime(2027, 3, 3, 20, 0, tzinfo=UTC), 60, "slot_unavailable"),  # outside 9-17
            (NOW + timedelta(hours=2), 60, "slot_unavailable"),  # inside the 12 h notice
            (NOW + timedelta(weeks=20), 60, "slot_unavailable"),  # beyond the horizon
        ],
    )
    def test_unbookable_times_are_refused(self, tutor, learner, start, minutes, code) -> None:
        with pytest.raises(ServiceError) as info:
            request(tutor, learner, start, minutes)
        assert info.value.code == code

    def test_nobody_books_themselves_or_an_untaught_subject(self, tutor, learner) -> None:
        with pytest.raises(ServiceError):
            services.booking_request(
                actor=tutor,
                tutor_id=tutor.pk,
                subject_id=tutor.teaching_subjects.get().subject_id,
                starts_at=SLOT,
                duration_minutes=60,
            )
        other = make_tutor(display_name="Other", subject=make_subject("Heaps"))
        with pytest.raises(ServiceError):
            services.booking_request(
                actor=learner,
                tutor_id=tutor.pk,
                subject_id=other.teaching_subjects.get().subject_id,
                starts_at=SLOT,
                duration_minutes=60,
            )

    def test_accept_confirms_sends_invitations_and_schedules_reminders(
        self, tutor, learner, django_capture_on_commit_callbacks
    ) -> None:
        booking = request(tutor, learner)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_accept(actor=tutor, booking_id=booking.pk)
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CONFIRMED and booking.sequence == 1
        assert sorted(m.to[0] for m in mail.outbox) == ["learner@example.org", "tutor@example.org"]
        event = ics_of(mail.outbox[0]).walk("VEVENT")[0]
        assert ics_of(mail.outbox[0])["METHOD"] == "REQUEST"
        assert str(event["UID"]) == f"{booking.uid}@peerlearn" and int(str(event["SEQUENCE"])) == 1
        assert event.decoded("DTSTART") == SLOT
        # 24 h and 1 h before, for each of the two participants.
        assert (
            sorted(t.task.run_after for t in deferred_tasks() if t.task.run_after)
            == [SLOT - timedelta(hours=24)] * 2 + [SLOT - timedelta(hours=1)] * 2
        )

    def test_only_the_tutor_accepts_and_only_once(self, tutor, learner) -> None:
        booking = request(tutor, learner)
        with pytest.raises(Forbidden):
            services.booking_accept(actor=learner, booking_id=booking.pk)
        services.booking_accept(actor=tutor, booking_id=booking.pk)
        with pytest.raises(Conflict) as info:
            services.booking_accept(actor=tutor, booking_id=booking.pk)
        assert info.value.code == "illegal_transition"

    def test_decline_needs_a_reason_and_frees_the_time(self, tutor, learner) -> None:
        booking = request(tutor, learner)
        with pytest.raises(ServiceError):
            services.booking_decline(actor=tutor, booking_id=booking.pk, reason="")
        services.booking_decline(actor=tutor, booking_id=booking.pk, reason="Away that week")
        assert not TimeClaim.objects.filter(active=True).exists()
        assert BookingEvent.objects.filter(
            booking=booking, action="decline", reason="Away that week", actor=tutor
        ).exists()
        request(tutor, make_user())  # the slot is free again

    def test_counter_proposal_then_learner_accepts(self, tutor, learner) -> None:
        booking = request(tutor, learner)
        later = SLOT + timedelta(hours=3)
        services.booking_counter(
            actor=tutor, booking_id=booking.pk, starts_at=later, note="Afternoon works better"
        )
        booking.refresh_from_db()
        assert booking.status == Booking.Status.COUNTERED and booking.starts_at == later
        assert set(TimeClaim.objects.filter(active=True).values_list("starts_at", flat=True)) == {
            later
        }
        with pytest.raises(Forbidden):
            services.booking_counter_accept(actor=tutor, booking_id=booking.pk)
        services.booking_counter_accept(actor=learner, booking_id=booking.pk)
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CONFIRMED

    def test_learner_can_decline_a_counter_proposal(self, tutor, learner) -> None:
        booking = request(tutor, learner)
        services.booking_counter(
            actor=tutor, booking_id=booking.pk, starts_at=SLOT + timedelta(hours=3)
        )
        services.booking_decline(actor=learner, booking_id=booking.pk, reason="Can't then")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.DECLINED


class TestConfirmedSessions:
    def test_reschedule_needs_the_other_side_and_the_original_stands_until_then(
        self, tutor, learner, django_capture_on_commit_callbacks
    ) -> None:
        booking = confirmed(tutor, learner)
        new_time = SLOT + timedelta(days=1)
        proposal = services.booking_reschedule_propose(
            actor=learner, booking_id=booking.pk, starts_at=new_time
        )
        booking.refresh_from_db()
        assert booking.starts_at == SLOT
        with pytest.raises(Forbidden):
            services.booking_reschedule_respond(actor=learner, proposal_id=proposal.pk, accept=True)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_reschedule_respond(actor=tutor, proposal_id=proposal.pk, accept=True)
        booking.refresh_from_db()
        assert booking.starts_at == new_time and booking.sequence == 2
        event = ics_of(mail.outbox[0]).walk("VEVENT")[0]
        assert int(str(event["SEQUENCE"])) == 2 and event.decoded("DTSTART") == new_time

    def test_declined_reschedule_keeps_the_time(self, tutor, learner) -> None:
        booking = confirmed(tutor, learner)
        proposal = services.booking_reschedule_propose(
            actor=tutor, booking_id=booking.pk, starts_at=SLOT + timedelta(days=1)
        )
        services.booking_reschedule_respond(actor=learner, proposal_id=proposal.pk, accept=False)
        booking.refresh_from_db()
        assert booking.starts_at == SLOT and booking.sequence == 1

    def test_cancel_early_is_not_late_and_sends_a_cancel_invitation(
        self, tutor, learner, django_capture_on_commit_callbacks
    ) -> None:
        booking = confirmed(tutor, learner)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_cancel(actor=learner, booking_id=booking.pk, reason="Exam moved")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CANCELLED and not booking.cancelled_late
        (message,) = mail.outbox
        assert message.to == ["tutor@example.org"]
        cal = ics_of(message)
        assert cal["METHOD"] == "CANCEL" and int(str(cal.walk("VEVENT")[0]["SEQUENCE"])) == 2

    def test_cancel_inside_the_cutoff_is_late(self, tutor, learner, frozen_time) -> None:
        booking = confirmed(tutor, learner)
        frozen_time.move_to(SLOT - timedelta(hours=3))
        services.booking_cancel(actor=tutor, booking_id=booking.pk, reason="Sick")
        booking.refresh_from_db()
        assert booking.cancelled_late
        assert selectors.reliability_for(user=tutor).late_cancellations == 1
        assert selectors.reliability_for(user=learner).late_cancellations == 0

    def test_a_moved_or_cancelled_session_never_sends_a_stale_reminder(
        self, tutor, learner, django_capture_on_commit_callbacks
    ) -> None:
        def step(action):
            with django_capture_on_commit_callbacks(execute=True):  # as after each real commit
                return action()

        moved = step(lambda: confirmed(tutor, learner))
        proposal = step(
            lambda: services.booking_reschedule_propose(
                actor=tutor, booking_id=moved.pk, starts_at=SLOT + timedelta(days=2)
            )
        )
        step(
            lambda: services.booking_reschedule_respond(
                actor=learner, proposal_id=proposal.pk, accept=True
            )
        )
        cancelled = step(lambda: confirmed(tutor, make_user(), SLOT + timedelta(hours=4)))
        step(lambda: services.booking_cancel(actor=tutor, booking_id=cancelled.pk, reason="x"))
        assert (
            len(deferred_tasks()) == 4 + 4 + 4
        )  # before the move, after it, and the cancelled one
        Notification.objects.all().delete()
        run_deferred_tasks(until=SLOT + timedelta(days=3))
        reminders = Notification.objects.filter(kind="booking_reminder")
        # Only the moved session's new reminders (2 people x 2 offsets) arrive.
        assert reminders.count() == 4
        assert all(n.url == f"/sessions/{moved.pk}/" for n in reminders)

    def test_a_reminder_task_run_twice_reminds_once(
        self, tutor, learner, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            booking = confirmed(tutor, learner)
        from peerlearn.scheduling.tasks import send_booking_reminder

        assert send_booking_reminder.call(booking.pk, booking.sequence, learner.pk, 60) is True
        assert send_booking_reminder.call(booking.pk, booking.sequence, learner.pk, 60) is False
        assert Notification.objects.filter(kind="booking_reminder", user=learner).count() == 1

    def test_complete_and_no_show_only_after_the_end(self, tutor, learner, frozen_time) -> None:
        booking = confirmed(tutor, learner)
        with pytest.raises(Conflict):
            services.booking_complete(actor=learner, booking_id=booking.pk)
        frozen_time.move_to(SLOT + timedelta(hours=2))
        with pytest.raises(ServiceError):
            services.booking_mark_no_show(
                actor=tutor, booking_id=booking.pk, absent_user_id=tutor.pk
            )
        services.booking_mark_no_show(actor=tutor, booking_id=booking.pk, absent_user_id=learner.pk)
        assert selectors.reliability_for(user=learner).no_shows == 1
        with pytest.raises(Conflict):
            services.booking_complete(actor=tutor, booking_id=booking.pk)

    def test_completing_asks_both_sides_for_a_review_and_awards_both_once(
        self, tutor, learner, frozen_time, django_capture_on_commit_callbacks
    ) -> None:
        from peerlearn.gamification.models import PointAward

        booking = confirmed(tutor, learner)
        frozen_time.move_to(SLOT + timedelta(hours=2))
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_complete(actor=learner, booking_id=booking.pk)
        asked = Notification.objects.filter(kind="review_request").values_list("user", flat=True)
        assert sorted(asked) == sorted([tutor.pk, learner.pk])
        awarded = PointAward.objects.filter(object_id=booking.pk).values_list("user", flat=True)
        assert sorted(awarded) == sorted([tutor.pk, learner.pk])

    def test_strangers_cannot_touch_a_booking(self, tutor, learner) -> None:
        booking = confirmed(tutor, learner)
        stranger = make_user()
        with pytest.raises(NotFound):
            services.booking_cancel(actor=stranger, booking_id=booking.pk, reason="x")
        with pytest.raises(NotFound):
            selectors.access_booking(user=stranger, booking_id=booking.pk)


class TestSeriesAndGroups:
    def test_series_books_free_weeks_and_reports_conflicts_one_by_one(self, tutor, learner) -> None:
        blocker = request(tutor, make_user(), SLOT + timedelta(weeks=1))
        _, results = services.series_request(
            actor=learner,
            tutor_id=tutor.pk,
            subject_id=tutor.teaching_subjects.get().subject_id,
            first_starts_at=SLOT,
            duration_minutes=60,
            occurrences=4,
        )
        assert [bool(r.booking) for r in results] == [True, False, True, True]
        assert results[1].starts_at == blocker.starts_at and results[1].error
        assert Booking.objects.filter(series__isnull=False).count() == 3

    def test_series_keeps_the_tutors_wall_clock_time_across_dst(self, learner) -> None:
        tutor = make_tutor(timezone="Europe/Berlin", display_name="Bea")
        first = datetime(2027, 3, 24, 9, 0, tzinfo=UTC)  # 10:00 Berlin (CET); DST starts 28 March
        _, results = services.series_request(
            actor=learner,
            tutor_id=tutor.pk,
            subject_id=tutor.teaching_subjects.get().subject_id,
            first_starts_at=first,
            duration_minutes=60,
            occurrences=2,
        )
        assert [r.starts_at for r in results] == [first, datetime(2027, 3, 31, 8, 0, tzinfo=UTC)]

    def test_group_seats_fill_up(self, tutor) -> None:
        group = group_session(tutor, capacity=2)
        a, b, c = make_user(), make_user(), make_user()
        services.group_seat_take(actor=a, booking_id=group.pk)
        services.group_seat_take(actor=a, booking_id=group.pk)  # twice is fine
        services.group_seat_take(actor=b, booking_id=group.pk)
        with pytest.raises(Conflict) as info:
            services.group_seat_take(actor=c, booking_id=group.pk)
        assert info.value.code == "full"
        services.group_seat_release(actor=a, booking_id=group.pk)
        services.group_seat_take(actor=c, booking_id=group.pk)
        assert selectors.seats_taken(group) == 2

    def test_a_notice_to_the_tutor_names_only_the_learners_still_seated(self, tutor) -> None:
        """Issue 18: notices named every learner who ever held a seat."""
        group = group_session(tutor, capacity=3)
        stays, leaves = make_user(display_name="Stella"), make_user(display_name="Lionel")
        services.group_seat_take(actor=stays, booking_id=group.pk)
        services.group_seat_take(actor=leaves, booking_id=group.pk)
        services.group_seat_release(actor=leaves, booking_id=group.pk)

        notify_booking(group.pk, "booking_reminder", recipients=[tutor.pk])

        title = Notification.objects.get(user=tutor, kind="booking_reminder").title
        assert "Stella" in title and "Lionel" not in title


def group_session(tutor: User, *, capacity: int) -> Booking:
    return services.group_session_create(
        actor=tutor,
        subject_id=tutor.teaching_subjects.get().subject_id,
        starts_at=SLOT,
        duration_minutes=90,
        capacity=capacity,
        title="Graph clinic",
    )


class TestCalendarFeed:
    def test_regenerating_revokes_the_old_url(self, learner) -> None:
        old = selectors.calendar_feed_for(user=learner).token
        new = services.calendar_feed_regenerate(actor=learner).token
        assert old != new
        with pytest.raises(NotFound):
            selectors.feed_owner(token=old)
        assert selectors.feed_owner(token=new) == learner
