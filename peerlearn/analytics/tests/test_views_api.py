"""The analytics page, its CSV exports and the API: who sees what, filters, query counts, and
match success from the impression log."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peerlearn.accounts.models import User
from peerlearn.analytics import services
from peerlearn.matching.models import Impression

from .fixtures import END, START, booking, client_for, person, review, utc

pytestmark = pytest.mark.django_db
RANGE = f"start={START}&end={END}"


def staff_of(inst: Any) -> User:
    user = person("staff", joined=utc(2026, 1, 1), inst=inst)
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user.refresh_from_db()
    return user


def root() -> User:
    existing = User.objects.filter(email="root@example.org").first()
    return existing or User.objects.create_superuser(email="root@example.org", password="x" * 12)


def test_a_learner_is_refused_with_a_clear_page(world: dict[str, Any]) -> None:
    response = client_for(world["a1"]).get("/insights/")
    assert response.status_code == 403
    assert "Only administrators and institution staff" in response.content.decode()
    api = client_for(world["a1"]).get("/api/v1/analytics/report")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "forbidden"


def test_the_page_shows_the_report_with_charts_and_tables(world: dict[str, Any]) -> None:
    services.rollup_days(start=START, end=END)
    page = client_for(root()).get(f"/insights/?{RANGE}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Booking funnel" in html and "Accepted by the tutor" in html
    assert 'data-chart="chart-funnel"' in html and 'id="chart-funnel"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert f'<option value="{world["beta"].pk}"' in html  # the platform may pick any


def test_every_table_exports_to_csv(world: dict[str, Any]) -> None:
    services.rollup_days(start=START, end=END)
    client = client_for(root())
    response = client.get(f"/insights/?{RANGE}&export=funnel")
    assert response["Content-Type"].startswith("text/csv")
    assert "analytics-2026-03-28_2026-03-31-funnel.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Step", "Count", "Conversion", "Mean time since the step before"]
    assert rows[1:3] == [
        ["Requested", "3", "–", "–"],
        ["Accepted by the tutor", "2", "66.7%", "75 min"],
    ]
    for table in ("activity", "match", "sessions", "help", "verdicts", "judge_wait", "community"):
        assert client.get(f"/insights/?{RANGE}&export={table}").status_code == 200
    assert client.get(f"/insights/?{RANGE}&export=nope").status_code == 404


def test_institution_staff_see_their_institution_only(world: dict[str, Any]) -> None:
    services.rollup_days(start=START, end=END)
    staff = staff_of(world["alpha"])
    client = client_for(staff)
    rows = list(
        csv.reader(io.StringIO(client.get(f"/insights/?{RANGE}&export=funnel").content.decode()))
    )
    assert [r[1] for r in rows[1:]] == ["2", "1", "1", "1", "1", "1"]
    refused = client.get(f"/insights/?{RANGE}&institution={world['beta'].pk}")
    assert refused.status_code == 403
    api = client.get(f"/api/v1/analytics/report?{RANGE}&institution={world['beta'].pk}")
    assert api.status_code == 403


def test_the_api_returns_the_same_tables(world: dict[str, Any]) -> None:
    services.rollup_days(start=START, end=END)
    body = client_for(root()).get(f"/api/v1/analytics/report?{RANGE}").json()
    assert body["time_zone"] == "Europe/Berlin"
    assert body["start"] == "2026-03-28" and body["institution_id"] is None
    assert body["tables"]["funnel"]["rows"][0] == ["Requested", 3, "–", "–"]
    assert body["tables"]["sessions"]["columns"] == ["Outcome", "Sessions", "Share"]
    filtered = client_for(root()).get(
        f"/api/v1/analytics/report?{RANGE}&institution={world['alpha'].pk}"
    )
    assert filtered.json()["tables"]["funnel"]["rows"][0][1] == 2


def test_bad_dates_say_so(world: dict[str, Any]) -> None:
    client = client_for(root())
    page = client.get("/insights/?start=2026-03-31&end=2026-03-01")
    assert page.status_code == 400
    assert "The range ends before it starts." in page.content.decode()
    api = client.get("/api/v1/analytics/report?start=2026-03-31&end=2026-03-01")
    assert api.status_code == 422 and api.json()["error"]["code"] == "bad_range"
    assert client.get("/insights/?start=yesterday").status_code == 400


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_page_costs_the_same_queries_whatever_the_data(world: dict[str, Any]) -> None:
    client = client_for(root())
    services.rollup_days(start=START, end=END)
    small = _queries(client, f"/insights/?{RANGE}")
    tutor = world["T"]
    for i in range(20):
        learner = person(f"extra{i}", joined=utc(2026, 3, 29, 10, i), inst=world["beta"])
        b = booking(tutor, learner, starts=utc(2026, 3, 30, 10) + timedelta(minutes=70 * i))
        review(
            b, learner, tutor, utc(2026, 3, 30, 20, 0),
            clarity=4, knowledge=4, patience=5, punctuality=3,
        )  # fmt: skip
    services.rollup_days(start=START, end=END)
    assert _queries(client, f"/insights/?{RANGE}") == small
    api = _queries(client, f"/api/v1/analytics/report?{RANGE}")
    assert api <= small


def test_match_success_counts_lists_through_to_a_good_rating(berlin: None, settings: Any) -> None:
    learner = person("L", joined=utc(2026, 1, 1))
    tutor = person("T", joined=utc(2026, 1, 1))
    other = person("O", joined=utc(2026, 1, 1))
    b = booking(tutor, learner, starts=utc(2026, 3, 30, 8, 0), created=utc(2026, 3, 29, 9, 0))
    review(
        b, learner, tutor, utc(2026, 3, 30, 12, 0),
        clarity=5, knowledge=4, patience=4, punctuality=4,
    )  # overall 4.25  # fmt: skip
    searched, recommended = uuid.uuid4(), uuid.uuid4()
    for position, person_shown in enumerate([tutor, other], start=1):
        Impression.objects.create(
            slate=searched,
            surface="search",
            viewer=learner,
            tutor=person_shown,
            position=position,
            shown_at=utc(2026, 3, 28, 23, 30),  # 00:30 CET on the 29th
            booking=b if person_shown == tutor else None,
            booked_at=utc(2026, 3, 29, 9, 0) if person_shown == tutor else None,
        )
    Impression.objects.create(
        slate=recommended,
        surface="recommended",
        viewer=learner,
        tutor=other,
        position=1,
        shown_at=utc(2026, 3, 29, 8, 0),
    )
    services.rollup_days(start=START, end=END)
    body = client_for(root()).get(f"/api/v1/analytics/report?{RANGE}").json()
    rows = {r[0]: r[1:] for r in body["tables"]["match"]["rows"]}
    # columns: Recommended, Search, Help offers, All
    assert rows["Lists shown"] == [1, 1, 0, 2]
    assert rows["Led to a booking"] == [0, 1, 0, 1]
    assert rows["Session completed"] == [0, 1, 0, 1]
    assert rows["Rated 4 or more"] == [0, 1, 0, 1]
    assert rows["Shown → rated 4 or more"] == ["0.0%", "100.0%", "–", "50.0%"]
    from peerlearn.analytics.models import DailyMetric

    shown = DailyMetric.objects.get(name="match.slates", key="search", is_total=True)
    assert shown.day == date(2026, 3, 29) and shown.total == 2  # two impressions, one list
