"""Analytics endpoints of the JSON API: the administrators' report (the same tables as the
page, filtered the same way) and the caller's own learner and tutor dashboards.

Adapters only: ``access_analytics`` decides who sees the report and of which institutions."""

# No ``from __future__ import annotations``: ninja reads annotations at import time (see
# scheduling/api.py).
from datetime import date
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema

from peerlearn.api.auth import request_user
from peerlearn.api.helpers import ok

from . import dashboards, selectors
from .selectors import Table

router = Router(tags=["analytics"])


class TableOut(Schema):
    title: str
    columns: list[str]
    rows: list[list[Any]] = Field(description="One list per row, in the order of ``columns``")
    note: str


class AnalyticsReportOut(Schema):
    scope: str = Field(description="All institutions, or the caller's institution")
    start: date
    end: date
    institution_id: int | None
    time_zone: str = Field(description="The zone of the rollup's calendar days")
    computed_through: date | None = Field(description="The last day the rollup has computed")
    headline: dict[str, str]
    tables: dict[str, TableOut]


class DashboardOut(Schema):
    time_zone: str = Field(description="The caller's zone (weeks and days)")
    totals: dict[str, str]
    tables: dict[str, TableOut]


def _tables(tables: dict[str, Table]) -> dict[str, dict[str, Any]]:
    return {
        key: {"title": t.title, "columns": t.columns, "rows": t.rows, "note": t.note}
        for key, t in tables.items()
    }


@router.get(
    "/analytics/report",
    response=ok(AnalyticsReportOut),
    summary="The administrators' analytics over a date range (staff: their institution only)",
)
def report(
    request: HttpRequest,
    start: date | None = None,
    end: date | None = None,
    institution: int | None = None,
) -> dict[str, Any]:
    scope = selectors.access_analytics(request_user(request))
    params = {
        "start": start.isoformat() if start else "",
        "end": end.isoformat() if end else "",
        "institution": str(institution) if institution is not None else "",
    }
    filters = selectors.filters_parse(scope, params)
    result = selectors.admin_report(scope=scope, filters=filters)
    return {
        "scope": scope.label,
        "start": filters.start,
        "end": filters.end,
        "institution_id": filters.institution_id,
        "time_zone": settings.ANALYTICS_TIME_ZONE,
        "computed_through": result.computed_through,
        "headline": dict(result.headline),
        "tables": _tables(result.tables),
    }


@router.get(
    "/analytics/me/learning", response=ok(DashboardOut), summary="My learner dashboard's numbers"
)
def my_learning(request: HttpRequest) -> dict[str, Any]:
    board = dashboards.learner_dashboard(user=request_user(request))
    return {"time_zone": board.zone, "totals": dict(board.totals), "tables": _tables(board.tables)}


@router.get(
    "/analytics/me/teaching", response=ok(DashboardOut), summary="My tutor dashboard's numbers"
)
def my_teaching(request: HttpRequest) -> dict[str, Any]:
    board = dashboards.tutor_dashboard(user=request_user(request))
    return {"time_zone": board.zone, "totals": dict(board.totals), "tables": _tables(board.tables)}
