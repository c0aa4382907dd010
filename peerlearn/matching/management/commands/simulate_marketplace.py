from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peerlearn.matching.marketplace.run import simulate


class Command(BaseCommand):
    help = (
        "Run a synthetic marketplace with a hidden truth through the real services (accounts, "
        "recommendations, bookings, reviews, train_ranker) and print per round hit@1 in the "
        "true top 5, NDCG@10, no-show rate and blocked learners for ours, the rating sort, "
        "random and the oracle. It WRITES thousands of synthetic people and sessions to this "
        "database: use a throwaway one (bench/matching_quality.py makes its own)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tutors", type=int, default=300)
        parser.add_argument("--learners", type=int, default=600)
        parser.add_argument("--rounds", type=int, default=4)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--yes-write-to-this-database", action="store_true", dest="confirmed")

    def handle(self, *args: Any, confirmed: bool, **options: Any) -> None:
        if not confirmed:
            raise CommandError(
                "This writes synthetic people and sessions to the configured database; pass "
                "--yes-write-to-this-database (on a throwaway database) or run "
                "bench/matching_quality.py, which creates and drops its own."
            )
        simulate(
            tutors=options["tutors"],
            learners=options["learners"],
            rounds=options["rounds"],
            seed=options["seed"],
            progress=self.stdout.write,
        )
