"""Recompute the analytics rollup: recent days (the periodic job), a range, or everything since
the first sign-up (``--backfill``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.analytics import metrics, services


class Command(BaseCommand):
    help = "Recompute the analytics rollup (idempotent): recent days, a range, or --backfill."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--start", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
        parser.add_argument("--end", type=date.fromisoformat, help="last day (default today)")
        parser.add_argument(
            "--backfill", action="store_true", help="from the first sign-up to today"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = metrics.local_day(timezone.now())
        if options["backfill"]:
            first = User.objects.order_by("date_joined").values_list("date_joined", flat=True)
            joined = first.first()
            start = metrics.local_day(joined) if joined else today
            end = today
        elif options["start"]:
            start, end = options["start"], options["end"] or today
        else:
            written = services.rollup_recent(days=settings.ANALYTICS_RECOMPUTE_DAYS)
            self.stdout.write(f"{written} metric rows for the recent days")
            return
        if end < start:
            raise CommandError("--end is before --start")
        written = services.rollup_days(start=start, end=end)
        self.stdout.write(f"{written} metric rows for {start}..{end}")
