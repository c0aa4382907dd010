from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.matching.ranker import train


class Command(BaseCommand):
    help = (
        "Train the ranker on the impression log (shown lists and what their bookings led to), "
        "evaluate it on the newest slates and store a RankerVersion, promoted only if it wins."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = train()
        self.stdout.write(result.message)
        if result.evaluation is not None and result.evaluation.metrics:
            for name, m in result.evaluation.metrics.items():
                self.stdout.write(
                    f"  {name:<12} outcome {m['outcome']:.3f}  NDCG@10 {m['ndcg']:.3f}  "
                    f"hit@1 {m['hit1']:.3f}"
                )
