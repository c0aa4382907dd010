from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from peerlearn.matching.ranker import HOLDOUT, evaluate, logged_slates


class Command(BaseCommand):
    help = (
        "Held-out, exposure-corrected evaluation on the impression log: NDCG@10 and hit@1 of "
        "the served model, blends with a new fit, the rating sort and random order."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--holdout", type=float, default=HOLDOUT, help="newest share held out (0–1)"
        )

    def handle(self, *args: Any, holdout: float, **options: Any) -> None:
        slates = logged_slates()
        result = evaluate(slates, holdout=holdout)
        self.stdout.write(
            f"labelled slates {len(slates)}: train {result.train_slates}, "
            f"held out {result.test_slates} (newest {holdout:.0%})"
        )
        if not result.metrics:
            self.stdout.write("nothing held out to score yet")
            return
        self.stdout.write(f"{'policy':<12} {'outcome':>8} {'NDCG@10':>8} {'hit@1':>7}")
        for name, m in result.metrics.items():
            self.stdout.write(f"{name:<12} {m['outcome']:8.3f} {m['ndcg']:8.3f} {m['hit1']:7.3f}")
        self.stdout.write(
            "outcome: share of held-out session pairs whose better outcome the policy scored "
            "higher (0.5 = chance); NDCG/hit@1: agreement with the slates' bookings"
        )
        if result.confidence is not None:
            self.stdout.write(
                f"the best blend beats the served model in {result.confidence:.0%} of "
                "bootstrap resamples of the held-out sessions"
            )
        verdict = "would be promoted" if result.promote else "would not be promoted"
        self.stdout.write(f"best blend {result.best_blend:.2f}: {verdict} ({result.reason})")
