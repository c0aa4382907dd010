from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.matching.services import ranker_train


class Command(BaseCommand):
    help = "Train the learned ranker on all outcomes so far and store a new RankerVersion."

    def handle(self, *args: Any, **options: Any) -> None:
        version = ranker_train()
        self.stdout.write(
            f"ranker v{version.pk}: {version.sample_count} pairs, metrics {version.metrics}"
        )
