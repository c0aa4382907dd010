"""Put tasks whose worker died back in the queue (a periodic job; see peerlearn.common.workers)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.common.workers import requeue_stale_tasks


class Command(BaseCommand):
    help = "Requeue RUNNING tasks whose worker is gone (PostgreSQL)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = requeue_stale_tasks()
        if count:
            self.stdout.write(f"requeued {count} task(s) of dead workers")
