"""Reads for gamification: a person's ledger, streak and heat map, badges with progress, and
the leaderboards.

Time: a person's days (streak, heat map) are counted in their *current* time zone
(``profile.timezone``), from the UTC moments in the ledger, so a change of zone re-reads their
history in the new zone rather than leaving a gap. Leaderboard periods: the global board uses
UTC weeks (from Monday) and months, the same for everyone; subject and institution boards and a
viewer's own numbers use the viewer's time zone. See docs/gamification.md.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from django.db import connection
from django.db.models import F, QuerySet, Sum, Window
from django.db.models.functions import Rank, RowNumber
from django.utils import timezone

from peerlearn.accounts.models import Institution, Subject, User
from peerlearn.accounts.selectors import subject_and_descendants
from peerlearn.common.errors import Invalid, NotFound

from .badges import BADGES, Badge, Progress, badge_progress
from .models import BadgeAward, PointAward, PointTotal
from .rules import CAUSES, STREAK_CAUSES

Period = Literal["week", "month"]
Scope = Literal["global", "subject", "institution"]
PERIODS: dict[str, str] = {"week": "This week", "month": "This month"}
SCOPES: dict[str, str] = {"global": "Global", "subject": "Subject", "institution": "Institution"}
HEATMAP_WEEKS = 26
HEAT_LEVELS = (1, 15, 40, 80)  # points in a day for levels 1..4
BOARD_SIZE = 20


def user_zone(user: User | None) -> zoneinfo.ZoneInfo:
    name = getattr(getattr(user, "profile", None), "timezone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# --- totals and the ledger ----------------------------------------------------------------------


def points_total(*, user: User) -> int:
    total = PointTotal.objects.filter(pk=user.pk).values_list("points", flat=True).first()
    return total or 0


def ledger_list(*, user: User) -> QuerySet[PointAward]:
    """The user's awards, newest first (a person's ledger is theirs alone to read)."""
    return (
        PointAward.objects.filter(user=user).select_related("subject").order_by("-earned_at", "-pk")
    )


def cause_label(cause: str) -> str:
    rule = CAUSES.get(cause)
    return rule.label if rule else cause.replace("_", " ").capitalize()


# --- streaks and the heat map -------------------------------------------------------------------


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int
    active_today: bool
    zone: str


def _local_days(
    user: User, zone: zoneinfo.ZoneInfo, *, since: datetime | None = None
) -> dict[date, tuple[int, bool]]:
    """{local day: (points, has a streak cause)} from the user's ledger."""
    rows = PointAward.objects.filter(user=user)
    if since is not None:
        rows = rows.filter(earned_at__gte=since)
    days: dict[date, tuple[int, bool]] = {}
    for moment, points, cause in rows.values_list("earned_at", "points", "cause"):
        day = moment.astimezone(zone).date()
        total, streaky = days.get(day, (0, False))
        days[day] = (total + points, streaky or cause in STREAK_CAUSES)
    return days


def streak_get(*, user: User, now: datetime | None = None) -> Streak:
    """Runs of consecutive local days with a streak cause (a completed session, a first solve;
    an accepted forum answer later). The current streak still counts when today has nothing
    yet but yesterday had: it breaks only once a whole local day passes without activity.
    Days are calendar dates in the zone, so a 23- or 25-hour DST day is still one day."""
    zone = user_zone(user)
    today = (now or timezone.now()).astimezone(zone).date()
    days = sorted(day for day, (_, streaky) in _local_days(user, zone).items() if streaky)
    longest = run = 0
    previous: date | None = None
    for day in days:
        if day > today:
            break  # an award dated in the future (a session's end) does not count yet
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = run if previous is not None and today - previous <= timedelta(days=1) else 0
    return Streak(current, longest, previous == today, str(zone))


@dataclass(frozen=True)
class HeatDay:
    day: date
    points: int
    level: int
    future: bool = False


@dataclass(frozen=True)
class HeatMap:
    weeks: list[list[HeatDay]]  # columns of 7 days, Monday first
    zone: str
    active_days: int
    total_points: int
    months: list[tuple[int, str]] = field(default_factory=list)  # (column, "Jan")


def heat_level(points: int) -> int:
    return sum(1 for threshold in HEAT_LEVELS if points >= threshold)


def heatmap_get(*, user: User, now: datetime | None = None, weeks: int = HEATMAP_WEEKS) -> HeatMap:
    """Points per local day over the last ``weeks`` weeks (the current one included)."""
    zone = user_zone(user)
    today = (now or timezone.now()).astimezone(zone).date()
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, time(0), zone)
    days = _local_days(user, zone, since=since)
    columns: list[list[HeatDay]] = []
    months: list[tuple[int, str]] = []
    for w in range(weeks):
        column = []
        for d in range(7):
            day = first + timedelta(days=7 * w + d)
            points = days.get(day, (0, False))[0]
            column.append(HeatDay(day, points, heat_level(points), future=day > today))
            if day.day == 1 or (w == 0 and d == 0):
                months.append((w, day.strftime("%b")))
        columns.append(column)
    counted = [day for day in days if first <= day <= today]
    return HeatMap(
        columns,
        str(zone),
        active_days=sum(1 for day in counted if days[day][0] > 0),
        total_points=sum(days[day][0] for day in counted),
        months=months,
    )


# --- badges -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeStatus:
    badge: Badge
    progress: Progress
    earned_at: datetime | None


def badges_list(*, user: User, now: datetime | None = None) -> list[BadgeStatus]:
    """Every badge with the user's progress and when they earned it (if they did)."""
    earned = dict(BadgeAward.objects.filter(user=user).values_list("badge", "earned_at"))
    return [
        BadgeStatus(badge, badge_progress(badge, user, now=now), earned.get(badge.key))
        for badge in BADGES
    ]


def earned_badges(*, user: User) -> list[tuple[Badge, datetime]]:
    from .badges import BADGES_BY_KEY

    return [
        (BADGES_BY_KEY[key], at)
        for key, at in BadgeAward.objects.filter(user=user).values_list("badge", "earned_at")
        if key in BADGES_BY_KEY
    ]


# --- leaderboards -------------------------------------------------------------------------------


def period_bounds(period: str, zone: zoneinfo.ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of this week (from Monday 00:00) or this month, in ``zone``, as aware
    datetimes (through real dates, so a DST change inside the period is respected)."""
    today = now.astimezone(zone).date()
    if period == "week":
        first = today - timedelta(days=today.weekday())
        last = first + timedelta(days=7)
    elif period == "month":
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    else:
        raise Invalid("Pick a week or a month.", code="invalid_period", field="period")
    return datetime.combine(first, time(0), zone), datetime.combine(last, time(0), zone)


@dataclass(frozen=True)
class BoardRow:
    rank: int
    user_id: int
    points: int
    user: User | None = None
    is_viewer: bool = False


@dataclass
class Board:
    period: str
    scope: str
    scope_id: int | None
    scope_name: str
    starts_at: datetime
    ends_at: datetime
    zone: str
    rows: list[BoardRow]
    me: BoardRow | None
    me_in_rows: bool = False

    @property
    def last_day(self) -> datetime:
        """The period's last moment (``ends_at`` is exclusive), for showing its dates."""
        return self.ends_at - timedelta(microseconds=1)


def _scope_filter(
    rows: QuerySet[PointAward], scope: str, scope_id: int | None
) -> tuple[QuerySet[PointAward], str]:
    if scope == "global":
        return rows, "Everyone"
    if scope_id is None:
        raise Invalid("Pick a subject or an institution.", code="required", field="id")
    if scope == "subject":
        subject = Subject.objects.filter(pk=scope_id).first()
        if subject is None:
            raise NotFound("No such subject.")
        return rows.filter(subject_id__in=subject_and_descendants(subject.pk)), subject.name
    if scope == "institution":
        institution = Institution.objects.filter(pk=scope_id).first()
        if institution is None:
            raise NotFound("No such institution.")
        return rows.filter(user__profile__institution_id=institution.pk), institution.name
    raise Invalid("Unknown scope.", code="invalid_scope", field="scope")


def board_zone(scope: str, viewer: User | None) -> zoneinfo.ZoneInfo:
    """The global board runs on UTC for everyone; the others on the viewer's zone."""
    return zoneinfo.ZoneInfo("UTC") if scope == "global" else user_zone(viewer)


def leaderboard(
    *,
    period: str,
    scope: str,
    scope_id: int | None = None,
    viewer: User | None = None,
    now: datetime | None = None,
    size: int = BOARD_SIZE,
) -> Board:
    """The top ``size`` by points earned in the period and scope, with standard competition
    ranks (ties share a rank: 1, 2, 2, 4), plus the viewer's own rank and points even when
    they are not in the top ``size`` (rank = 1 + people with more points)."""
    zone = board_zone(scope, viewer)
    starts_at, ends_at = period_bounds(period, zone, now or timezone.now())
    in_period = PointAward.objects.filter(earned_at__gte=starts_at, earned_at__lt=ends_at)
    rows_qs, scope_name = _scope_filter(in_period, scope, scope_id)
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    ranked = _ranked(rows_qs, size=size, viewer_id=viewer_id)
    users = User.objects.select_related("profile").in_bulk([uid for uid, _, _, _ in ranked])
    rows: list[BoardRow] = []
    me: BoardRow | None = None
    for uid, total, rank, position in ranked:
        row = BoardRow(rank, uid, total, users.get(uid), uid == viewer_id)
        if position <= size:
            rows.append(row)
        if row.is_viewer:
            me = row
    return Board(
        period,
        scope,
        scope_id if scope != "global" else None,
        scope_name,
        starts_at,
        ends_at,
        str(zone),
        rows,
        me,
        me_in_rows=any(row.is_viewer for row in rows),
    )


def _ranked(
    rows_qs: QuerySet[PointAward], *, size: int, viewer_id: int | None
) -> list[tuple[int, int, int, int]]:
    """(user, total, rank, position) of the top ``size`` and of the viewer, in one pass over
    the period: the per-user sums are ranked by window functions (``rank`` for the shown rank,
    ``row_number`` to cut the top at exactly ``size`` however many tie)."""
    order = [F("total").desc(), F("user_id").asc()]
    per_user = (
        rows_qs.values("user_id")
        .annotate(total=Sum("points"))
        .filter(total__gt=0)
        .annotate(
            rank=Window(Rank(), order_by=F("total").desc()),
            position=Window(RowNumber(), order_by=order),
        )
    )
    # "top N or me" mixes a window filter with a plain one, which the ORM cannot express
    # (NotImplementedError): filter the compiled query from outside.
    sql, params = per_user.values_list(
        "user_id", "total", "rank", "position"
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT * FROM ({sql}) ranked WHERE ranked."position" <= %s OR ranked."user_id" = %s'  # noqa: S608
            ' ORDER BY ranked."position"',
            [*params, size, viewer_id if viewer_id is not None else -1],
        )
        return [tuple(row) for row in cursor.fetchall()]


def viewer_rank(rows_qs: QuerySet[PointAward], viewer: User) -> BoardRow | None:
    """The viewer's row on a board whose rows are ``rows_qs`` (a period and scope) on its own:
    their sum, and rank = 1 + the number of people with more (two queries). ``leaderboard``
    gets the same answer from its one ranked query; this is for callers without a board.
    None without points there."""
    mine = rows_qs.filter(user_id=viewer.pk).aggregate(s=Sum("points"))["s"] or 0
    if mine <= 0:
        return None
    per_user = rows_qs.values("user_id").annotate(total=Sum("points"))
    ahead = per_user.filter(total__gt=mine).count()
    return BoardRow(ahead + 1, viewer.pk, mine, viewer, True)


def board_rows(
    *, period: str, scope: str, scope_id: int | None, viewer: User | None, now: datetime
) -> QuerySet[PointAward]:
    """The ledger rows a board sums (its period, in its zone, and its scope)."""
    starts_at, ends_at = period_bounds(period, board_zone(scope, viewer), now)
    in_period = PointAward.objects.filter(earned_at__gte=starts_at, earned_at__lt=ends_at)
    return _scope_filter(in_period, scope, scope_id)[0]


def points_in_period(*, user: User, period: str, now: datetime | None = None) -> int:
    """The user's points this week or month in their own time zone."""
    starts_at, ends_at = period_bounds(period, user_zone(user), now or timezone.now())
    return (
        PointAward.objects.filter(
            user=user, earned_at__gte=starts_at, earned_at__lt=ends_at
        ).aggregate(s=Sum("points"))["s"]
        or 0
    )


def subject_choices() -> list[Subject]:
    """Areas and subjects (topics roll up into them) for the scope picker."""
    return list(
        Subject.objects.filter(kind__in=[Subject.Kind.AREA, Subject.Kind.SUBJECT]).order_by("name")
    )


def institution_choices() -> list[Institution]:
    return list(Institution.objects.order_by("name"))
