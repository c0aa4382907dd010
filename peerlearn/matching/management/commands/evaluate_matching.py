from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.matching.services import evaluate, outcomes


class Command(BaseCommand):
    help = "NDCG@10 on a time-split hold-out (newest 20%) for the prior and the learned ranker."

    def handle(self, *args: Any, **options: Any) -> None:
        data = outcomes()
        m = evaluate(data)
        self.stdout.write(
            f"outcomes {len(data)}; train pairs {m['train_pairs']:.0f}; "
            f"test groups {m['test_groups']:.0f}"
        )
        self.stdout.write(f"NDCG@10 prior   {m['ndcg_prior']:.3f}")
        self.stdout.write(f"NDCG@10 learned {m['ndcg_learned']:.3f}")
