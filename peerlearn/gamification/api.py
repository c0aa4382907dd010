"""Gamification endpoints of the JSON API: my ledger, my badges with progress, my streak and
heat map, and the leaderboards with my own rank.

Adapters only: the same selectors as the pages. A person's ledger, badges' progress and heat
map are theirs alone; the leaderboard shows display names and points.
"""

# No ``from __future__ import annotations``: ninja reads annotations at import time (see
# scheduling/api.py).
from datetime import date, datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from peerlearn.api.auth import request_user
from peerlearn.api.helpers import ok
from peerlearn.api.pages import Page

from . import selectors
from .models import PointAward

router = Router(tags=["gamification"])


class AwardOut(Schema):
    id: int
    cause: str
    cause_label: str
    points: int
    earned_at: datetime
    title: str
    url: str
    object_id: int = Field(description="The booking, problem, … the points are for")
    subject_id: int | None

    @staticmethod
    def resolve_cause_label(obj: PointAward) -> str:
        return selectors.cause_label(obj.cause)


class BadgeOut(Schema):
    key: str
    name: str
    rule: str
    value: int = Field(description="Progress so far (capped at target)")
    target: int
    met: bool
    detail: str
    earned_at: datetime | None


class HeatDayOut(Schema):
    date: date
    points: int
    level: int = Field(description="0 (none) to 4 (most)")


class StreakOut(Schema):
    current: int
    longest: int
    active_today: bool
    time_zone: str
    total_points: int
    days: list[HeatDayOut] = Field(description="The last 26 weeks, oldest first, up to today")


class RankOut(Schema):
    rank: int
    user_id: int
    display_name: str
    points: int


class BoardOut(Schema):
    period: str
    scope: str
    scope_id: int | None
    scope_name: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str = Field(description="UTC for the global board, else the caller's zone")
    rows: list[RankOut]
    me: RankOut | None = Field(description="The caller's rank and points, top 20 or not")


@router.get(
    "/gamification/me/ledger",
    response=ok(list[AwardOut]),
    summary="My points ledger, newest first: every award with its cause",
)
@paginate(Page)
def ledger(request: HttpRequest) -> QuerySet[PointAward]:
    return selectors.ledger_list(user=request_user(request))


@router.get(
    "/gamification/me/badges", response=ok(list[BadgeOut]), summary="Every badge, my progress"
)
def badges(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "key": s.badge.key,
            "name": s.badge.name,
            "rule": s.badge.rule,
            "value": s.progress.shown_value,
            "target": s.progress.target,
            "met": s.earned_at is not None or s.progress.met,
            "detail": s.progress.detail,
            "earned_at": s.earned_at,
        }
        for s in selectors.badges_list(user=request_user(request))
    ]


@router.get(
    "/gamification/me/streak",
    response=ok(StreakOut),
    summary="My daily streak and heat map (days in my time zone)",
)
def streak(request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    current = selectors.streak_get(user=user)
    heatmap = selectors.heatmap_get(user=user)
    return {
        "current": current.current,
        "longest": current.longest,
        "active_today": current.active_today,
        "time_zone": current.zone,
        "total_points": selectors.points_total(user=user),
        "days": [
            {"date": d.day, "points": d.points, "level": d.level}
            for week in heatmap.weeks
            for d in week
            if not d.future
        ],
    }


def _rank(row: selectors.BoardRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    name = row.user.display_name if row.user is not None else f"Member {row.user_id}"
    return {"rank": row.rank, "user_id": row.user_id, "display_name": name, "points": row.points}


@router.get(
    "/gamification/leaderboard",
    response=ok(BoardOut),
    summary="Top 20 for this week or month, globally, for a subject or an institution",
)
def leaderboard(
    request: HttpRequest,
    period: Literal["week", "month"] = "week",
    scope: Literal["global", "subject", "institution"] = "global",
    scope_id: int | None = None,
) -> dict[str, Any]:
    """``scope_id`` is the subject (its topics included) or institution id; without one, the
    institution board is the caller's own institution's."""
    user = request_user(request)
    if scope == "institution" and scope_id is None:
        scope_id = getattr(getattr(user, "profile", None), "institution_id", None)
    board = selectors.leaderboard(period=period, scope=scope, scope_id=scope_id, viewer=user)
    return {
        "period": board.period,
        "scope": board.scope,
        "scope_id": board.scope_id,
        "scope_name": board.scope_name,
        "starts_at": board.starts_at,
        "ends_at": board.ends_at,
        "time_zone": board.zone,
        "rows": [_rank(row) for row in board.rows],
        "me": _rank(board.me),
    }
