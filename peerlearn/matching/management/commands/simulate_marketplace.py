from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from peerlearn.matching.simulate import simulate


class Command(BaseCommand):
    help = "Simulate learners with hidden preferences; print the ranker's NDCG@10 per round."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rounds", type=int, default=8)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, rounds: int, seed: int, **options: Any) -> None:
        self.stdout.write("round  pairs  NDCG@10 prior  NDCG@10 learned")
        for r in simulate(rounds=rounds, seed=seed):
            self.stdout.write(
                f"{r.round:5d}  {r.pairs:5d}  {r.ndcg_prior:13.3f}  {r.ndcg_learned:15.3f}"
            )
