"""Send the daily digest emails that are due (run from cron, e.g. every hour)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.notifications.digest import send_digests


class Command(BaseCommand):
    help = (
        "Email each person who wants one their digest of unseen notifications of the last "
        "24 hours; at most one per person per local day, so running it again is harmless."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent, listed = send_digests()
        self.stdout.write(f"{sent} digest(s) sent, listing {listed} notification(s).")
