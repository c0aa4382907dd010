"""Background work for analytics: the rollup of a range of days. Idempotent (each day is
replaced whole under its lock), so a retried or duplicated task changes nothing."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.tasks import task

from . import services


@task()
def rollup_days(start: str, end: str) -> int:
    """Recompute the analytics days ``start``..``end`` (ISO dates)."""
    return services.rollup_days(start=date.fromisoformat(start), end=date.fromisoformat(end))


@task()
def rollup_recent() -> int:
    """Today and the ``ANALYTICS_RECOMPUTE_DAYS`` before it."""
    return services.rollup_recent(days=settings.ANALYTICS_RECOMPUTE_DAYS)
