"""Matching quality against a hidden truth: ``peerlearn.matching.marketplace`` run through the
real services in a private database, four rounds (recommend → book → outcome → reviews →
train_ranker). Prints per round hit@1 in the learner's true top 5, NDCG@10 against the truth,
the expected no-show rate of the tutor each learner would pick, and the learners who find none
of their top 3 with a free hour — for ours, the rating sort, random order and the oracle.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/peerlearn .venv/bin/python \
     bench/matching_quality.py [--tutors 300] [--learners 600] [--rounds 4] [--seed 7]
     [--design default|alternative]
Creates ``peerlearn_mq_<pid>`` on DATABASE_URL's server and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# The script folder holds bench/http.py, which would shadow the standard library http.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.booking import private_database, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tutors", type=int, default=300)
    parser.add_argument("--learners", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--design",
        choices=("default", "alternative"),
        default="default",
        help="the truth's spreads (marketplace.truth.DESIGNS)",
    )
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/peerlearn")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    started = time.perf_counter()
    with private_database(database_url, f"peerlearn_mq_{os.getpid()}") as url:
        setup_django(url)
        from django.test import override_settings

        from peerlearn.matching.marketplace.run import simulate
        from peerlearn.matching.marketplace.truth import DESIGNS

        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            simulate(
                tutors=args.tutors,
                learners=args.learners,
                rounds=args.rounds,
                seed=args.seed,
                design=DESIGNS[args.design],
                progress=lambda line: print(line, flush=True),
            )
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
