from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from peerlearn.accounts.models import AvailabilityException
from peerlearn.common.testing import make_tutor, make_user
from peerlearn.scheduling import selectors, services
from peerlearn.scheduling.models import TutorPolicy

pytestmark = pytest.mark.django_db
BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def starts(slots: list[selectors.Slot], tz: ZoneInfo = UTC) -> list[str]:  # type: ignore[assignment]
    return [s.starts_at.astimezone(tz).strftime("%m-%d %H:%M") for s in slots]


def day_slots(
    tutor, day: date, *, now: datetime, duration: int = 60, learner=None
) -> list[selectors.Slot]:
    start = datetime.combine(day, time(0), UTC) - timedelta(hours=14)
    return [
        s
        for s in selectors.bookable_slots(
            tutor=tutor,
            duration_minutes=duration,
            start=start,
            end=start + timedelta(hours=52),
            learner=learner,
            now=now,
        )
    ]


class TestDaylightSaving:
    """Berlin tutor, Mondays 18:00-19:00 Berlin time, seen from New York."""

    @pytest.fixture
    def tutor(self):
        return make_tutor(timezone="Europe/Berlin", windows=[(0, "18:00", "19:00")])

    @pytest.mark.parametrize(
        ("monday", "new_york_time"),
        [
            (date(2026, 3, 2), "12:00"),  # both on winter time: 6 h apart
            (date(2026, 3, 16), "13:00"),  # US already on summer time, Europe not: 5 h
            (date(2026, 3, 30), "12:00"),  # both on summer time: 6 h
            (date(2026, 10, 19), "12:00"),  # both on summer time
            (date(2026, 10, 26), "13:00"),  # Europe back on winter time, US not yet: 5 h
            (date(2026, 11, 2), "12:00"),  # both on winter time
        ],
    )
    def test_the_slot_is_at_the_right_instant_for_the_viewer(
        self, tutor, monday: date, new_york_time: str
    ) -> None:
        now = datetime.combine(monday - timedelta(days=7), time(12), UTC)
        slots = [
            s
            for s in selectors.bookable_slots(tutor=tutor, duration_minutes=60, now=now)
            if s.starts_at.astimezone(BERLIN).date() == monday
        ]
        assert len(slots) == 1
        assert slots[0].starts_at.astimezone(BERLIN).strftime("%H:%M") == "18:00"
        assert slots[0].starts_at.astimezone(NEW_YORK).strftime("%H:%M") == new_york_time

    def test_slots_are_grouped_by_the_viewers_local_day(self, tutor) -> None:
        tokyo_viewer = "Asia/Tokyo"  # Monday 18:00 Berlin is Tuesday 02:00 in Tokyo
        now = datetime(2026, 1, 1, tzinfo=UTC)
        slots = [s for s in selectors.bookable_slots(tutor=tutor, duration_minutes=60, now=now)][:1]
        ((day, _),) = selectors.slots_by_day(slots, tokyo_viewer)
        assert day.weekday() == 1


class TestRules:
    NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)  # a Monday morning
    DAY = date(2027, 1, 5)  # Tuesday

    def test_slots_fill_the_windows_in_half_hour_steps(self) -> None:
        tutor = make_tutor(windows=[(1, "09:00", "11:00")])
        assert starts(day_slots(tutor, self.DAY, now=self.NOW)) == [
            "01-05 09:00",
            "01-05 09:30",
            "01-05 10:00",
        ]
        assert starts(day_slots(tutor, self.DAY, now=self.NOW, duration=90)) == [
            "01-05 09:00",
            "01-05 09:30",
        ]

    def test_minimum_notice(self) -> None:
        tutor = make_tutor(windows=[(0, "09:00", "12:00")])
        TutorPolicy.objects.create(user=tutor, min_notice_hours=4)
        slots = day_slots(tutor, date(2027, 1, 4), now=self.NOW)  # now 06:00, earliest 10:00
        assert starts(slots) == ["01-04 10:00", "01-04 10:30", "01-04 11:00"]

    def test_buffers_keep_a_gap_around_existing_sessions(self) -> None:
        tutor = make_tutor(windows=[(1, "09:00", "13:00")])
        TutorPolicy.objects.create(
            user=tutor, buffer_before_minutes=15, buffer_after_minutes=15, min_notice_hours=0
        )
        learner = make_user()
        with time_machine.travel(self.NOW, tick=False):
            services.booking_request(
                actor=learner,
                tutor_id=tutor.pk,
                subject_id=tutor.teaching_subjects.get().subject_id,
                starts_at=datetime(2027, 1, 5, 10, 30, tzinfo=UTC),
                duration_minutes=60,
            )
        # The session holds 10:15-11:45 for the tutor; a new one needs its own 15 minutes before.
        assert starts(day_slots(tutor, self.DAY, now=self.NOW)) == ["01-05 09:00", "01-05 12:00"]

    def test_daily_cap(self) -> None:
        tutor = make_tutor(windows=[(1, "09:00", "17:00")])
        TutorPolicy.objects.create(user=tutor, max_sessions_per_day=1, min_notice_hours=0)
        with time_machine.travel(self.NOW, tick=False):
            services.booking_request(
                actor=make_user(),
                tutor_id=tutor.pk,
                subject_id=tutor.teaching_subjects.get().subject_id,
                starts_at=datetime(2027, 1, 5, 9, tzinfo=UTC),
                duration_minutes=30,
            )
        assert day_slots(tutor, self.DAY, now=self.NOW) == []

    def test_dated_exceptions(self) -> None:
        tutor = make_tutor(windows=[(1, "09:00", "11:00")])
        AvailabilityException.objects.create(user=tutor, date=self.DAY, kind="unavailable")
        assert day_slots(tutor, self.DAY, now=self.NOW) == []
        AvailabilityException.objects.create(
            user=tutor,
            date=date(2027, 1, 6),
            kind="available",
            start_time=time(15),
            end_time=time(16),
        )
        assert starts(day_slots(tutor, date(2027, 1, 6), now=self.NOW)) == ["01-06 15:00"]

    def test_nothing_beyond_the_horizon(self) -> None:
        tutor = make_tutor()
        TutorPolicy.objects.create(user=tutor, horizon_weeks=1)
        slots = selectors.bookable_slots(tutor=tutor, duration_minutes=60, now=self.NOW)
        assert slots and max(s.starts_at for s in slots) < self.NOW + timedelta(weeks=1)

    def test_unknown_durations_have_no_slots(self) -> None:
        assert selectors.bookable_slots(tutor=make_tutor(), duration_minutes=50, now=self.NOW) == []

    def test_times_we_are_both_free(self) -> None:
        tutor = make_tutor(
            timezone="Europe/Berlin", windows=[(1, "09:00", "13:00")]
        )  # 08-12 UTC in January
        learner = make_user(timezone="Europe/London")
        from peerlearn.accounts import services as account_services

        account_services.availability_replace(
            actor=learner,
            user=learner,
            windows=[account_services.WindowInput(1, time(10), time(11, 30))],
        )
        assert starts(day_slots(tutor, self.DAY, now=self.NOW, learner=learner)) == [
            "01-05 10:00",
            "01-05 10:30",
        ]
