"""End the pair practice sessions both people left without pressing Leave (a periodic job)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.practice.services import sessions_end_abandoned


class Command(BaseCommand):
    help = "End pair practice sessions nobody has been present in for PRACTICE_ABANDONED_MINUTES."

    def handle(self, *args: Any, **options: Any) -> None:
        ended = sessions_end_abandoned()
        if options["verbosity"] > 0:
            self.stdout.write(f"{ended} abandoned practice sessions ended.")
