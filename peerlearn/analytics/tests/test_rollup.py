"""The rollup and the administrators' report against a fixture worked out by hand.

Days are Europe/Berlin calendar days across the spring DST change (Sunday 29 March 2026, when
01:00 UTC becomes 03:00 CEST): that day runs from 28 March 23:00 UTC to 29 March 22:00 UTC (23
hours). Every expected number below is counted from the rows, not from the code.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from peerlearn.accounts.models import User
from peerlearn.analytics import selectors, services
from peerlearn.analytics.models import ActiveUserDay, DailyMetric

from .fixtures import (
    END,
    START,
    booking,
    person,
    review,
    utc,
)

pytestmark = pytest.mark.django_db


def metric(name: str, day: date, inst: Any = None, key: str = "") -> int:
    qs = DailyMetric.objects.filter(name=name, day=day, key=key)
    qs = (
        qs.filter(is_total=False, institution=inst)
        if inst is not None
        else qs.filter(is_total=True)
    )
    return sum(qs.values_list("count", flat=True))


def test_sign_ups_fall_on_the_local_day_across_the_dst_change(world: dict[str, Any]) -> None:
    services.rollup_days(start=START, end=END)
    assert [metric("signups", d) for d in (START, date(2026, 3, 29), date(2026, 3, 30))] == [
        1,
        2,
        1,
    ]
    assert metric("signups", date(2026, 3, 29), world["alpha"]) == 1
    assert metric("signups", date(2026, 3, 29), world["beta"]) == 1


def test_utc_days_count_the_same_sign_ups_differently(world: dict[str, Any], settings: Any) -> None:
    settings.ANALYTICS_TIME_ZONE = "UTC"
    services.rollup_days(start=START, end=END)
    assert metric("signups", START) == 2  # a1 at 22:59 and a2 at 23:00 UTC
    assert metric("signups", date(2026, 3, 29)) == 2


def test_the_funnel_counts_each_step_with_its_conversion_and_time(world: dict[str, Any]) -> None:
    services.rollup_days(start=START, end=END)
    scope = selectors.AnalyticsScope(None, "All")
    report = selectors.admin_report(scope=scope, filters=selectors.Filters(START, END, None))
    assert report.tables["funnel"].rows == [
        ["Requested", 3, "–", "–"],
        # bk1 accepted after 2 h, bk3 countered after 30 min: mean 75 min
        ["Accepted by the tutor", 2, "66.7%", "75 min"],
        # bk1 confirmed by the accept (2 h after the request), bk3 by the learner 1 h after
        # the counter: mean 1.5 h
        ["Confirmed", 2, "100.0%", "1.5 h"],
        ["Completed", 1, "50.0%", "32.5 h"],  # 03:30 CEST on the 29th to 12:00 CEST the 30th
        ["Reviewed", 1, "100.0%", "3.0 h"],  # the session ended at 09:00 UTC, reviewed at 12:00
        ["Rebooked", 1, "100.0%", "–"],
    ]
    # Days: bk1's request (00:30 CET) and bk3's (23:00 CEST) are both on the 29th.
    assert metric("funnel.requested", date(2026, 3, 29)) == 2
    assert metric("funnel.confirmed", date(2026, 3, 30)) == 1  # 00:30 CEST


def test_an_institution_sees_only_its_own_people(world: dict[str, Any]) -> None:
    services.rollup_days(start=START, end=END)
    alpha = world["alpha"]
    report = selectors.admin_report(
        scope=selectors.AnalyticsScope((alpha.pk,), "Alpha"),
        filters=selectors.Filters(START, END, alpha.pk),
    )
    assert [r[1] for r in report.tables["funnel"].rows] == [2, 1, 1, 1, 1, 1]
    assert report.tables["sessions"].rows == [
        ["Completed", 1, "50.0%"],
        ["No-show", 1, "50.0%"],
        ["Cancelled in time", 0, "0.0%"],
        ["Cancelled late", 0, "0.0%"],  # bk3's learner is at Beta
    ]


def test_sessions_judge_help_and_activity(world: dict[str, Any]) -> None:
    services.rollup_days(start=START, end=END)
    report = selectors.admin_report(
        scope=selectors.AnalyticsScope(None, "All"), filters=selectors.Filters(START, END, None)
    )
    assert report.tables["sessions"].rows == [
        ["Completed", 1, "33.3%"],
        ["No-show", 1, "33.3%"],
        ["Cancelled in time", 0, "0.0%"],
        ["Cancelled late", 1, "33.3%"],
    ]
    assert metric("sessions.outcome", date(2026, 3, 29), key="no_show") == 1  # 00:15 CET
    assert report.tables["verdicts"].rows == [
        ["Accepted", 4, "66.7%"],
        ["Time Limit Exceeded", 1, "16.7%"],
        ["Wrong Answer", 1, "16.7%"],
    ]
    # Python: 5 waits (3, 3, 8, 40, 700 s): mean 150.8 s; median in the ≤10 s bucket, p95 in
    # the ≤30 min bucket. C++ has one submission: fewer than 5, not shown.
    assert report.tables["judge_wait"].rows == [["Python 3", 5, "3 min", "≤ 10 s", "≤ 30 min"]]
    assert "(1 hidden)" in report.tables["judge_wait"].note
    help_rows = dict(report.tables["help"].rows)
    assert help_rows["Asked"] == 1
    assert help_rows["Accepted by a tutor"] == 1
    assert help_rows["Mean wait for a tutor"] == "45 s"
    assert help_rows["Median wait"] == "≤ 60 s"
    # Active: the 29th a1, T (Alpha) and b1 (Beta); the 30th a1, a2, T and b1; the 31st a1.
    activity = {r[0]: r[1:4] for r in report.tables["activity"].rows}
    assert activity["2026-03-28"] == [0, 0, 0]
    assert activity["2026-03-29"] == [3, 3, 3]
    assert activity["2026-03-30"] == [4, 4, 4]
    assert activity["2026-03-31"] == [1, 4, 4]
    assert metric("active.dau", date(2026, 3, 30), world["alpha"]) == 3
    assert report.headline[0] == ("Monthly active people", "4")
    # One review only: the satisfaction breakdown needs 5 and stays hidden.
    assert report.tables["satisfaction"].rows == []


def test_recomputing_gives_the_same_rows(world: dict[str, Any]) -> None:
    def snapshot() -> list[tuple[Any, ...]]:
        return sorted(
            DailyMetric.objects.values_list(
                "day", "is_total", "institution_id", "name", "key", "count", "total"
            ),
            key=lambda row: (row[0], row[1], row[2] or 0, *row[3:]),
        )

    services.rollup_days(start=START, end=END)
    first = snapshot()
    services.rollup_days(start=START, end=END)
    services.rollup_days(start=date(2026, 3, 30), end=date(2026, 3, 30))
    assert snapshot() == first
    assert ActiveUserDay.objects.filter(day=date(2026, 3, 30)).count() == 4


def test_a_change_after_the_rollup_shows_once_the_day_is_recomputed(
    world: dict[str, Any],
) -> None:
    services.rollup_days(start=START, end=END)
    assert metric("signups", date(2026, 3, 31)) == 0
    person("late", joined=utc(2026, 3, 31, 12, 0))
    services.rollup_days(start=date(2026, 3, 31), end=date(2026, 3, 31))
    assert metric("signups", date(2026, 3, 31)) == 1
    assert metric("signups", date(2026, 3, 29)) == 2  # other days untouched


def test_satisfaction_shows_from_five_reviews(world: dict[str, Any]) -> None:
    tutor, a1 = world["T"], world["a1"]
    for i, score in enumerate([5, 4, 4, 1]):
        b = booking(tutor, a1, starts=utc(2026, 3, 30, 13 + i, 0))
        review(
            b, a1, tutor, utc(2026, 3, 30, 20, 0),
            clarity=score, knowledge=4, patience=4, punctuality=score,
        )  # fmt: skip
    services.rollup_days(start=START, end=END)
    report = selectors.admin_report(
        scope=selectors.AnalyticsScope(None, "All"), filters=selectors.Filters(START, END, None)
    )
    rows = {r[0]: r for r in report.tables["satisfaction"].rows}
    # punctuality: 2, 5, 4, 4, 1 → mean 3.20; one each of 1 and 2 and 5, two 4s
    assert rows["Punctuality"] == ["Punctuality", 5, "3.20", 1, 1, 0, 2, 1]
    assert "Preparedness" not in rows  # no tutor reviewed a learner


def test_a_bad_range_is_refused() -> None:
    scope = selectors.AnalyticsScope(None, "All")
    with pytest.raises(Exception, match="ends before"):
        selectors.filters_parse(scope, {"start": "2026-03-31", "end": "2026-03-01"})
    with pytest.raises(Exception, match="at most a year"):
        selectors.filters_parse(scope, {"start": "2024-01-01", "end": "2026-03-01"})


def test_who_may_see_analytics(world: dict[str, Any]) -> None:
    from peerlearn.common.errors import Forbidden

    learner = world["a1"]
    with pytest.raises(Forbidden):
        selectors.access_analytics(learner)
    User.objects.filter(pk=learner.pk).update(is_staff=True)
    learner.refresh_from_db()
    assert selectors.access_analytics(learner).institution_ids == (world["alpha"].pk,)
    admin = User.objects.create_superuser(email="root@example.org", password="x" * 12)
    assert selectors.access_analytics(admin).is_platform


def test_zero_rows_need_no_fixture(berlin: None) -> None:
    assert services.rollup_days(start=START, end=START + timedelta(days=1)) == 0
