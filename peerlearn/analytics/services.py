"""Writes of the analytics app: the daily rollup and a learner's goals."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from peerlearn.accounts.models import Profile, Subject, User
from peerlearn.common.errors import Invalid, NotFound
from peerlearn.practice.selectors import user_zone

from . import metrics
from .models import ActiveUserDay, DailyMetric, LearnerGoal, RollupDay

CHUNK_DAYS = 31  # days per transaction in a long backfill
ACTIVE_WINDOWS: tuple[tuple[str, int], ...] = (
    ("active.dau", 1),
    ("active.wau", 7),
    ("active.mau", 30),
)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def rollup_days(*, start: date, end: date) -> int:
    """Recompute every metric of the analytics days ``start``..``end`` (inclusive) from the
    source tables and replace those days' rows: running it again, or twice at once, leaves
    the same rows (each day's ``RollupDay`` row is locked while it is replaced). A long range
    is done a month per transaction, oldest first (the weekly and monthly active counts read
    the days before). Returns the number of metric rows written."""
    if end < start:
        raise Invalid("The range ends before it starts.", code="bad_range")
    written = 0
    chunk_start = start
    while chunk_start <= end:
        chunk_end = min(end, chunk_start + timedelta(days=CHUNK_DAYS - 1))
        written += _rollup_chunk(chunk_start, chunk_end)
        chunk_start = chunk_end + timedelta(days=1)
    return written


def _rollup_chunk(start: date, end: date) -> int:
    days = _days(start, end)
    with transaction.atomic():
        RollupDay.objects.bulk_create(
            [RollupDay(day=d, computed_at=timezone.now()) for d in days], ignore_conflicts=True
        )
        list(RollupDay.objects.select_for_update().filter(day__in=days).order_by("day"))
        _replace_activity(start, end)
        rows = list(metrics.all_rows(start, end)) + _active_rows(days)
        totals: dict[tuple[date, str, str], list[float]] = {}
        for r in rows:
            running = totals.setdefault((r.day, r.name, r.key), [0, 0.0])
            running[0] += r.count
            running[1] += r.total
        DailyMetric.objects.filter(day__gte=start, day__lte=end).delete()
        DailyMetric.objects.bulk_create(
            [
                DailyMetric(
                    day=r.day,
                    institution_id=r.institution_id,
                    name=r.name,
                    key=r.key,
                    count=r.count,
                    total=r.total,
                )
                for r in rows
            ]
            + [
                DailyMetric(day=day, name=name, key=key, count=int(n), total=t, is_total=True)
                for (day, name, key), (n, t) in totals.items()
            ],
            batch_size=2000,
        )
        RollupDay.objects.filter(day__in=days).update(computed_at=timezone.now())
    return len(rows)


def _replace_activity(start: date, end: date) -> None:
    found = metrics.activity(start, end)
    institutions = dict(
        Profile.objects.filter(user_id__in={u for _, u in found}).values_list(
            "user_id", "institution_id"
        )
    )
    ActiveUserDay.objects.filter(day__gte=start, day__lte=end).delete()
    ActiveUserDay.objects.bulk_create(
        [ActiveUserDay(day=d, user_id=u, institution_id=institutions.get(u)) for d, u in found],
        batch_size=2000,
    )


def _active_rows(days: list[date]) -> list[metrics.Row]:
    """Distinct active people per institution over the day, the 7 and the 30 days ending it."""
    rows = []
    for day in days:
        for name, width in ACTIVE_WINDOWS:
            counts: Counter[int | None] = Counter(
                dict(
                    ActiveUserDay.objects.filter(day__gt=day - timedelta(days=width), day__lte=day)
                    .values_list("institution_id")
                    .annotate(n=Count("user_id", distinct=True))
                    .order_by()
                    .values_list("institution_id", "n")
                )
            )
            rows += [metrics.Row(day, inst, name, "", n, 0.0) for inst, n in counts.items()]
    return rows


def rollup_recent(*, days: int) -> int:
    """Today and the ``days`` before it (analytics zone): what the periodic job recomputes, so
    late changes (a completion marked the next morning) reach the rollup."""
    today = metrics.local_day(timezone.now())
    return rollup_days(start=today - timedelta(days=days), end=today)


GOALS_PER_LEARNER = 10


def goal_create(
    *,
    actor: User,
    kind: str,
    target: int,
    due_on: date,
    subject_id: int | None = None,
) -> LearnerGoal:
    """A goal of ``actor``'s from today (their zone) to ``due_on``; at most ten at a time."""
    if kind not in LearnerGoal.Kind.values:
        raise Invalid("Pick what the goal counts.", code="bad_kind", field="kind")
    if not 1 <= target <= 1000:
        raise Invalid("Set a target from 1 to 1000.", code="bad_target", field="target")
    today = timezone.now().astimezone(user_zone(actor)).date()
    if due_on < today or due_on > today + timedelta(days=366):
        raise Invalid("Pick a date from today to a year from now.", code="bad_due", field="due_on")
    subject = None
    if subject_id is not None:
        subject = Subject.objects.filter(pk=subject_id).first()
        if subject is None:
            raise Invalid("No such subject.", code="bad_subject", field="subject")
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk=actor.pk))
        if LearnerGoal.objects.filter(user=actor).count() >= GOALS_PER_LEARNER:
            raise Invalid("You have ten goals; remove one first.", code="too_many_goals")
        return LearnerGoal.objects.create(
            user=actor, kind=kind, subject=subject, target=target, starts_on=today, due_on=due_on
        )


def goal_delete(*, actor: User, goal_id: int) -> None:
    deleted, _ = LearnerGoal.objects.filter(user=actor, pk=goal_id).delete()
    if not deleted:
        raise NotFound("No such goal.")
