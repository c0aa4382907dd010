"""Shared free time, exactly: both people's weekly windows and dated exceptions, each in their
own time zone, over real dates (DST included), minus their active sessions — to the minute.
Used for the "h of shared free time" claim of an explanation (scoring uses the cheaper weekly
hour bits of the index)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peerlearn.accounts.models import AvailabilityException, AvailabilityWindow, Profile
from peerlearn.accounts.selectors import day_intervals
from peerlearn.scheduling.models import TimeClaim

Interval = tuple[datetime, datetime]
HORIZON = timedelta(days=14)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _merge(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _subtract(free: list[Interval], busy: list[Interval]) -> list[Interval]:
    out = []
    for s, e in free:
        pieces = [(s, e)]
        for bs, be in busy:
            pieces = [
                piece
                for ps, pe in pieces
                for piece in ((ps, min(pe, bs)), (max(ps, be), pe))
                if piece[0] < piece[1]
            ]
        out.extend(pieces)
    return out


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def free_time(
    user_ids: Collection[int], start: datetime, end: datetime
) -> dict[int, list[Interval]]:
    """Each user's free intervals in [start, end): availability (windows and exceptions in their
    zone) minus their active time claims; merged and sorted. Four queries for any number of
    users. A user with no weekly windows and no extra hours gets an empty list."""
    ids = list(user_ids)
    zones = {
        u: _zone(tz)
        for u, tz in Profile.objects.filter(user_id__in=ids).values_list("user_id", "timezone")
    }
    windows: dict[int, list[AvailabilityWindow]] = {u: [] for u in ids}
    for w in AvailabilityWindow.objects.filter(user_id__in=ids):
        windows[w.user_id].append(w)
    first: date = (start - timedelta(days=1)).date()
    last: date = (end + timedelta(days=1)).date()
    exceptions: dict[int, list[AvailabilityException]] = {u: [] for u in ids}
    for x in AvailabilityException.objects.filter(user_id__in=ids, date__gte=first, date__lte=last):
        exceptions[x.user_id].append(x)
    busy: dict[int, list[Interval]] = {u: [] for u in ids}
    for u, s, e in TimeClaim.objects.filter(
        user_id__in=ids, active=True, starts_at__lt=end, ends_at__gt=start
    ).values_list("user_id", "starts_at", "ends_at"):
        busy[u].append((s, e))
    out: dict[int, list[Interval]] = {}
    for u in ids:
        tz = zones.get(u, ZoneInfo("UTC"))
        local_first = start.astimezone(tz).date() - timedelta(days=1)
        local_last = end.astimezone(tz).date() + timedelta(days=1)
        free: list[Interval] = []
        day = local_first
        while day <= local_last:
            todays = [x for x in exceptions[u] if x.date == day]
            for s, e in day_intervals(day, tz, windows[u], todays):
                s, e = max(s, start), min(e, end)
                if s < e:
                    free.append((s, e))
            day += timedelta(days=1)
        out[u] = _subtract(_merge(free), _merge(busy[u]))
    return out


def has_availability(user_id: int) -> bool:
    return AvailabilityWindow.objects.filter(user_id=user_id).exists()


def shared_minutes(
    learner_id: int, tutor_ids: Collection[int], *, start: datetime, end: datetime | None = None
) -> dict[int, int] | None:
    """Minutes both the learner and each tutor are free in [start, start + 14 days), or None
    when the learner gave no weekly availability (then there is nothing to claim)."""
    end = end or start + HORIZON
    if not has_availability(learner_id):
        return None
    free = free_time([learner_id, *tutor_ids], start, end)
    mine = free[learner_id]
    return {
        t: int(sum((e - s).total_seconds() for s, e in intersect(mine, free[t])) // 60)
        for t in tutor_ids
    }
