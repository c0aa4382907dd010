"""Streaks and heat maps in the user's own time zone; leaderboards by period and scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from peerlearn.accounts.models import Institution, Subject
from peerlearn.common.testing import make_subject, make_user
from peerlearn.gamification import selectors, services
from peerlearn.gamification.services import Grant

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def give(user, at: datetime, points: int = 10, cause: str = "problem_solved", **extra) -> None:
    """One ledger row (object ids are unique per call)."""
    give.n = getattr(give, "n", 0) + 1  # type: ignore[attr-defined]
    services.points_award(
        grant=Grant(
            user_id=user.pk,
            cause=cause,
            object_id=give.n,  # type: ignore[attr-defined]
            points=points,
            earned_at=at,
            title="test",
            **extra,
        )
    )


def local(zone: ZoneInfo, y: int, m: int, d: int, h: int = 12, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=zone)


class TestStreaks:
    def test_days_are_counted_in_the_users_time_zone(self) -> None:
        user = make_user(timezone="Asia/Tokyo")
        # 23:30 and 00:30 UTC are different UTC days but the same Tokyo day (08:30, 09:30)...
        give(user, datetime(2030, 5, 1, 23, 30, tzinfo=UTC))
        give(user, datetime(2030, 5, 2, 0, 30, tzinfo=UTC))
        # ... and 15:30 UTC on 2 May is already 3 May in Tokyo.
        give(user, datetime(2030, 5, 2, 15, 30, tzinfo=UTC))
        streak = selectors.streak_get(user=user, now=local(TOKYO, 2030, 5, 3, 20))
        assert (streak.current, streak.longest, streak.active_today) == (2, 2, True)

    def test_the_same_moments_make_a_different_streak_in_another_zone(self) -> None:
        tokyo, utc = make_user(timezone="Asia/Tokyo"), make_user(timezone="UTC")
        for user in (tokyo, utc):
            give(user, datetime(2030, 5, 1, 16, 0, tzinfo=UTC))  # 2 May 01:00 in Tokyo
            give(user, datetime(2030, 5, 2, 14, 0, tzinfo=UTC))  # 2 May 23:00 in Tokyo
        now = datetime(2030, 5, 2, 14, 30, tzinfo=UTC)
        assert selectors.streak_get(user=tokyo, now=now).longest == 1
        assert selectors.streak_get(user=utc, now=now).longest == 2

    def test_a_streak_runs_through_both_daylight_saving_changes(self) -> None:
        user = make_user(timezone="Europe/Berlin")
        # Late evening every day across the spring-forward night (30-31 Mar 2030, a 23-hour
        # day) and early morning across the fall-back night (26-27 Oct 2030, a 25-hour day).
        for day in range(28, 34):
            give(user, datetime(2030, 3, 1, 23, 45, tzinfo=BERLIN) + timedelta(days=day - 1))
        assert selectors.streak_get(user=user, now=local(BERLIN, 2030, 4, 2, 23, 50)).longest == 6
        for day in range(25, 30):
            give(user, datetime(2030, 10, day, 0, 15, tzinfo=BERLIN))
        streak = selectors.streak_get(user=user, now=local(BERLIN, 2030, 10, 29, 9))
        assert (streak.current, streak.longest) == (5, 6)

    def test_the_current_streak_survives_today_without_activity_but_not_a_whole_day(self) -> None:
        user = make_user(timezone="America/New_York")
        for day in (1, 2, 3):
            give(user, local(NEW_YORK, 2030, 6, day, 22))
        assert selectors.streak_get(user=user, now=local(NEW_YORK, 2030, 6, 4, 23, 59)).current == 3
        broken = selectors.streak_get(user=user, now=local(NEW_YORK, 2030, 6, 5, 0, 1))
        assert (broken.current, broken.longest) == (0, 3)

    def test_a_user_who_moves_sees_their_streak_in_the_new_zone(self) -> None:
        """Every day at 08:00 in Tokyo (23:00 UTC the day before) for five days: still five
        days in a row after moving to New York, where those moments fall at 19:00 or 18:00 the
        previous evening; and the next morning in New York continues it."""
        user = make_user(timezone="Asia/Tokyo")
        for day in range(10, 15):
            give(user, local(TOKYO, 2030, 3, day, 8))
        assert selectors.streak_get(user=user, now=local(TOKYO, 2030, 3, 14, 9)).current == 5

        user.profile.timezone = "America/New_York"
        user.profile.save()
        give(user, local(NEW_YORK, 2030, 3, 14, 9))  # 14 Mar in New York: the next day there
        streak = selectors.streak_get(user=user, now=local(NEW_YORK, 2030, 3, 14, 10))
        assert (streak.current, streak.zone) == (6, "America/New_York")
        days = selectors.heatmap_get(user=user, now=local(NEW_YORK, 2030, 3, 14, 10))
        active = [d.day for week in days.weeks for d in week if d.points]
        assert active == [date(2030, 3, d) for d in range(9, 15)]

    def test_reviews_do_not_keep_a_streak_but_sessions_and_solves_do(self) -> None:
        user = make_user()
        give(user, datetime(2030, 1, 1, 9, tzinfo=UTC), cause="session_attended")
        give(user, datetime(2030, 1, 2, 9, tzinfo=UTC), cause="review_written")
        give(user, datetime(2030, 1, 3, 9, tzinfo=UTC), cause="session_tutored")
        streak = selectors.streak_get(user=user, now=datetime(2030, 1, 3, 10, tzinfo=UTC))
        assert (streak.current, streak.longest) == (1, 1)


class TestHeatMap:
    def test_it_covers_26_weeks_monday_first_with_levels_by_points(self) -> None:
        user = make_user(timezone="Europe/Berlin")
        now = local(BERLIN, 2030, 7, 10, 12)  # a Wednesday
        give(user, local(BERLIN, 2030, 7, 8, 23, 30), points=10)  # Monday, late evening
        give(user, local(BERLIN, 2030, 7, 9, 0, 30), points=40)  # Tuesday just after midnight
        give(user, local(BERLIN, 2030, 7, 9, 9), points=50)
        give(user, local(BERLIN, 2029, 1, 1), points=500)  # long before: not on the map

        heatmap = selectors.heatmap_get(user=user, now=now)

        assert len(heatmap.weeks) == 26 and all(len(w) == 7 for w in heatmap.weeks)
        assert heatmap.weeks[0][0].day == date(2030, 1, 14)  # a Monday, 25 weeks earlier
        last = heatmap.weeks[-1]
        assert [(d.points, d.level, d.future) for d in last[:4]] == [
            (10, 1, False),
            (90, 4, False),
            (0, 0, False),
            (0, 0, True),
        ]
        assert (heatmap.active_days, heatmap.total_points) == (2, 100)


class TestLeaderboards:
    def test_the_top_20_with_shared_ranks_and_the_viewers_own_rank_outside_it(self) -> None:
        now = datetime(2030, 4, 10, 12, tzinfo=UTC)
        people = [make_user() for _ in range(25)]
        for i, person in enumerate(people):
            give(person, now - timedelta(hours=1), points=100 - i)
        give(people[2], now - timedelta(hours=2), points=1)  # 99 for people[1] and people[2]
        viewer = people[23]

        board = selectors.leaderboard(period="week", scope="global", viewer=viewer, now=now)

        assert len(board.rows) == 20
        assert [(r.rank, r.points) for r in board.rows[:4]] == [(1, 100), (2, 99), (2, 99), (4, 97)]
        assert board.rows[1].user_id == people[1].pk  # ties by id
        assert not board.me_in_rows
        assert board.me is not None and (board.me.rank, board.me.points) == (24, 77)
        inside = selectors.leaderboard(period="week", scope="global", viewer=people[5], now=now)
        assert inside.me_in_rows and inside.me is not None and inside.me.rank == 6

    def test_a_viewer_without_points_has_no_rank(self) -> None:
        give(make_user(), datetime(2030, 4, 10, tzinfo=UTC))
        board = selectors.leaderboard(
            period="week",
            scope="global",
            viewer=make_user(),
            now=datetime(2030, 4, 10, 5, tzinfo=UTC),
        )
        assert board.me is None and len(board.rows) == 1

    def test_the_global_board_uses_utc_weeks_for_everyone(self) -> None:
        tokyo_viewer = make_user(timezone="Asia/Tokyo")
        earner = make_user()
        # Sunday 20:00 UTC: last week in UTC, but already Monday 05:00 in Tokyo.
        give(earner, datetime(2030, 4, 7, 20, tzinfo=UTC), points=30)
        give(earner, datetime(2030, 4, 8, 1, tzinfo=UTC), points=5)
        now = datetime(2030, 4, 9, 12, tzinfo=UTC)

        board = selectors.leaderboard(period="week", scope="global", viewer=tokyo_viewer, now=now)

        assert board.zone == "UTC"
        assert board.starts_at == datetime(2030, 4, 8, tzinfo=UTC)
        assert [r.points for r in board.rows] == [5]

    def test_the_other_boards_and_my_own_numbers_use_the_viewers_zone(self) -> None:
        institution = Institution.objects.create(name="Uni", slug="uni")
        viewer = make_user(timezone="Asia/Tokyo", institution=institution)
        earner = make_user(institution=institution)
        give(earner, datetime(2030, 4, 7, 20, tzinfo=UTC), points=30)  # Monday in Tokyo
        give(viewer, datetime(2030, 4, 7, 20, tzinfo=UTC), points=7)
        now = datetime(2030, 4, 9, 12, tzinfo=UTC)

        board = selectors.leaderboard(
            period="week", scope="institution", scope_id=institution.pk, viewer=viewer, now=now
        )

        assert board.zone == "Asia/Tokyo"
        assert board.starts_at == datetime(2030, 4, 8, tzinfo=TOKYO)
        assert [(r.user_id, r.points) for r in board.rows] == [(earner.pk, 30), (viewer.pk, 7)]
        assert selectors.points_in_period(user=viewer, period="week", now=now) == 7
        utc_viewer = make_user()
        assert selectors.points_in_period(user=utc_viewer, period="week", now=now) == 0

    def test_month_boundaries_follow_the_zone_across_a_dst_change(self) -> None:
        start, end = selectors.period_bounds("month", BERLIN, datetime(2030, 3, 31, 12, tzinfo=UTC))
        assert start == datetime(2030, 3, 1, tzinfo=BERLIN) and start.utcoffset() == timedelta(
            hours=1
        )
        assert end == datetime(2030, 4, 1, tzinfo=BERLIN) and end.utcoffset() == timedelta(hours=2)
        start, end = selectors.period_bounds(
            "month", BERLIN, datetime(2030, 12, 31, 23, 30, tzinfo=UTC)
        )
        assert start == datetime(2031, 1, 1, tzinfo=BERLIN)  # already January in Berlin

    def test_a_month_board_counts_the_whole_month_and_no_more(self) -> None:
        a, b = make_user(), make_user()
        give(a, datetime(2030, 4, 1, 0, 0, tzinfo=UTC), points=10)
        give(b, datetime(2030, 3, 31, 23, 59, tzinfo=UTC), points=50)
        give(b, datetime(2030, 5, 1, 0, 0, tzinfo=UTC), points=50)
        board = selectors.leaderboard(
            period="month", scope="global", now=datetime(2030, 4, 20, tzinfo=UTC)
        )
        assert [(r.user_id, r.points) for r in board.rows] == [(a.pk, 10)]

    def test_a_subject_board_includes_its_topics_and_nothing_else(self) -> None:
        graphs = make_subject("Graphs", parent_names=("Computing", "Algorithms"))
        trees = make_subject("Trees", parent_names=("Computing", "Algorithms"))
        calculus = make_subject("Calculus", parent_names=("Maths", "Analysis"))
        algorithms = Subject.objects.get(slug="t-computing-algorithms")
        a, b, c = make_user(), make_user(), make_user()
        now = datetime(2030, 4, 10, tzinfo=UTC)
        give(a, now, points=10, subject_id=graphs.pk)
        give(a, now, points=10, subject_id=trees.pk)
        give(b, now, points=15, subject_id=algorithms.pk)
        give(c, now, points=99, subject_id=calculus.pk)
        give(c, now, points=99)  # a solve: no subject

        board = selectors.leaderboard(
            period="week", scope="subject", scope_id=algorithms.pk, now=now
        )
        assert [(r.user_id, r.points) for r in board.rows] == [(a.pk, 20), (b.pk, 15)]
        area = Subject.objects.get(slug="t-computing")
        board = selectors.leaderboard(period="week", scope="subject", scope_id=area.pk, now=now)
        assert len(board.rows) == 2
        topic = selectors.leaderboard(period="week", scope="subject", scope_id=trees.pk, now=now)
        assert [(r.user_id, r.points) for r in topic.rows] == [(a.pk, 10)]

    def test_an_institution_board_counts_its_members_only(self) -> None:
        uni, other = (
            Institution.objects.create(name="Uni", slug="uni"),
            Institution.objects.create(name="Poly", slug="poly"),
        )
        member, outsider = make_user(institution=uni), make_user(institution=other)
        now = datetime(2030, 4, 10, tzinfo=UTC)
        give(member, now, points=5)
        give(outsider, now, points=50)
        board = selectors.leaderboard(
            period="week", scope="institution", scope_id=uni.pk, viewer=outsider, now=now
        )
        assert [r.user_id for r in board.rows] == [member.pk] and board.me is None

    def test_an_unknown_scope_id_is_not_found(self) -> None:
        from peerlearn.common.errors import NotFound, ServiceError

        with pytest.raises(NotFound):
            selectors.leaderboard(period="week", scope="subject", scope_id=424242)
        with pytest.raises(ServiceError):
            selectors.leaderboard(period="week", scope="institution", scope_id=None)
        with pytest.raises(ServiceError):
            selectors.leaderboard(period="year", scope="global")
