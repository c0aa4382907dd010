"""Tutor search API throughput on PostgreSQL over many synthetic tutors, as a ratio to a
hello-world Django view in the same run.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/peerlearn .venv/bin/python bench/search.py
     [--tutors 100000] [--seconds 3] [--explain]

Creates its own database (``peerlearn_bench_search_<pid>``) on the server DATABASE_URL names,
migrates it, seeds ``--tutors`` synthetic tutors through ``seed_demo``'s bulk path (which ends
with ``tutor_documents_rebuild``, the GIN-indexed full-text documents), gives every third tutor
stored rating totals, and drops the database at the end.
Each ``GET /api/v1/tutors/search?…`` goes through Django's test ``Client`` (middleware, ninja,
one search query, one page of hits); the baseline is a view returning "hello" through the same
Client. The API rate limit is switched off for the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # not bench/ (its http.py would shadow the stdlib)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.booking import private_database, setup_django  # noqa: E402


def rate(client: Any, path: str, seconds: float) -> tuple[float, int]:
    """Requests per second of GET ``path`` for ``seconds``; also the first response's count."""
    first = client.get(path, secure=True)
    assert first.status_code == 200, (path, first.status_code, first.content[:300])
    count = len(first.json().get("results", [])) if path.startswith("/api/") else 0
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        client.get(path, secure=True)
        done += 1
    return done / (time.perf_counter() - start), count


def seed_rating_totals(share: int = 3) -> int:
    """Every ``share``-th tutor of those without one gets stored rating totals (1–60 reviews
    averaging 2.5–5★), the rows ``reviews.services.rating_totals_refresh`` keeps for reviewed
    tutors, so sorting and filtering by rating join real rows."""
    import random
    from decimal import Decimal

    from peerlearn.accounts.models import TeachingSubject
    from peerlearn.reviews.models import TutorRatingTotal

    rng = random.Random(7)
    rated = set(TutorRatingTotal.objects.values_list("tutor_id", flat=True))
    teaching = set(TeachingSubject.objects.values_list("user_id", flat=True))
    tutor_ids = sorted(teaching - rated)  # resumable: tutors added since the last call
    rows = []
    for tutor_id in tutor_ids[::share]:
        count = rng.randint(1, 60)
        mean = rng.uniform(2.5, 5.0)
        rows.append(
            TutorRatingTotal(tutor_id=tutor_id, count=count, total=Decimal(round(mean * count, 2)))
        )
    TutorRatingTotal.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def bench(tutors: int, seconds: float, explain: bool = False) -> None:
    import sys as _sys

    from django.core.management import call_command
    from django.db import connection
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import include, path

    from peerlearn.accounts.models import Subject
    from peerlearn.matching.models import TutorDocument

    started = time.perf_counter()
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("seed_demo", tutors=tutors, quiet=True)
    rated = seed_rating_totals()
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    documents = TutorDocument.objects.count()
    print(
        f"seeded {tutors} synthetic tutors (+ demo people), {documents} documents, "
        f"{rated} with ratings: {seeded:.0f} s"
    )

    topic = Subject.objects.filter(kind=Subject.Kind.TOPIC, tutors__isnull=False).first()
    assert topic is not None
    word = topic.name.split()[0]
    urls = type(_sys)("bench_search_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path("hello/", lambda r: HttpResponse("hello")),
        path("", include("config.urls")),
    ]
    _sys.modules["bench_search_urls"] = urls
    api = "/api/v1/tutors/search"
    cases = [
        ("q=<name> (rare word)", f"{api}?q=Lovelace"),
        (f"q={word} (topic name)", f"{api}?q={word}"),
        (f"q={word}&sort=rating", f"{api}?q={word}&sort=rating"),
        (f"q={word}&language=en&format=online", f"{api}?q={word}&language=en&format=online"),
        (f"q={word}&subject=<topic>", f"{api}?q={word}&subject={topic.pk}"),
        ("q=student (in most bios)", f"{api}?q=student"),
        ("no q, subject=<topic> (no full text)", f"{api}?subject={topic.pk}"),
        ("no filters (every tutor, by relevance)", f"{api}"),
        ("sort=rating&min_rating=4", f"{api}?sort=rating&min_rating=4"),
        (
            "subject=<topic>&next_days=3&part=evening",
            f"{api}?subject={topic.pk}&next_days=3&part=evening",
        ),
        ("next_days=3 (no subject)", f"{api}?next_days=3"),
        ("q=student, page 40", f"{api}?q=student&page=40"),
    ]
    with override_settings(
        ROOT_URLCONF="bench_search_urls",
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        API_RATE_LIMIT_PER_MINUTE=0,
    ):
        client = Client()
        base, _ = rate(client, "/hello/", seconds)
        print(f"{'request':44} {'req/s':>8} {'ratio':>7} {'hits p1':>8}")
        print(f"{'hello-world view (baseline)':44} {base:8.0f} {1.0:7.3f} {'':>8}")
        for label, url in cases:
            r, count = rate(client, url, seconds)
            print(f"{label:44} {r:8.1f} {r / base:7.4f} {count:8d}")
            if explain:
                print(plan(url))


def plan(url: str) -> str:
    """EXPLAIN ANALYZE of the ranked page query that ``url`` runs (``--explain``)."""
    from urllib.parse import parse_qsl, urlsplit

    from django.db import connection

    from peerlearn.matching import selectors

    query = dict(parse_qsl(urlsplit(url).query))
    filters = selectors.filters_from_query(query)
    page = int(query.get("page", 1))
    ranked: Any = selectors.paginated_search(filters=filters, viewer=None).object_list
    qs = ranked[(page - 1) * 20 : page * 20]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_incremental_sort = off")
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
        cursor.execute("RESET enable_incremental_sort")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tutors", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/search.py needs DATABASE_URL=postgres://... (a PostgreSQL server)")
    name = f"peerlearn_bench_search_{os.getpid()}"
    began = time.perf_counter()
    with private_database(database_url, name) as url:
        setup_django(url)
        bench(args.tutors, args.seconds, args.explain)
        print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
