from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from peerlearn.matching.ranker import HOLDOUT, evaluate, outcomes


class Command(BaseCommand):
    help = "NDCG@10 on a time-split hold-out (newest 20%) for the prior and the learned ranker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--holdout", type=float, default=HOLDOUT, help="newest share held out (0–1)"
        )

    def handle(self, *args: Any, holdout: float, **options: Any) -> None:
        data = outcomes()
        m = evaluate(data, holdout=holdout)
        self.stdout.write(
            f"outcomes {len(data)}; train pairs {m['train_pairs']:.0f}; "
            f"test groups {m['test_groups']:.0f}"
        )
        if not m["test_groups"]:
            self.stdout.write("no held-out outcomes to score yet (NDCG shown as 0)")
        self.stdout.write(f"NDCG@10 prior   {m['ndcg_prior']:.3f}")
        self.stdout.write(f"NDCG@10 learned {m['ndcg_learned']:.3f}")
