from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.matching.ranker import train


class Command(BaseCommand):
    help = (
        "Train the learned ranker on every outcome so far (completed bookings, ratings, "
        "rebookings, no-shows, declines) and store a new RankerVersion."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = train()
        self.stdout.write(result.message)
        if result.version is not None and result.version.metrics.get("test_groups"):
            m = result.version.metrics
            self.stdout.write(
                f"NDCG@10 on the newest 20%: prior {m['ndcg_prior']:.3f}, "
                f"learned {m['ndcg_learned']:.3f}"
            )
