"""The three data-size hot spots of issue 13, each as a ratio against a baseline in the same run:
the home page at 20k tutors against 50, the first recommendations request of a fresh process at
20k tutors against the 300 ms target and a warm request, and the broad search ``q=student`` at
100k tutors against 10k.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/peerlearn .venv/bin/python bench/hotspots.py
     [--home-tutors 20000] [--search-tutors 10000,100000] [--seconds 2]

Creates one database (``<DATABASE_URL's name>_hot``), migrates it and grows it in steps through
``seed_demo --tutors`` (resumable: each step adds tutors): 25 synthetic tutors and the demo
people's 25 (home), 10k (search), 20k (home, recommendations), 100k (search). The states that
are measured are kept as copies (``CREATE DATABASE … TEMPLATE``), and the home page and search
figures are then measured in ``--rounds`` interleaved rounds, each measurement a new process
(median latency over ``--seconds``), so that a neighbour's load on this shared machine hits
both sides of a ratio alike; medians over the rounds. Every database and the index snapshot
folder are removed at the end. Requests go through Django's test ``Client`` (middleware
included), ``DEBUG=0``, the API rate limit off.

Recommendations: each "fresh process" is a new interpreter that imports ``config.wsgi`` exactly
as a web server does (which starts the index warm-up thread) and sends its first
``GET /api/v1/tutors/recommended`` at once, with a session made beforehand by this script; no
index is built for it except by that mechanism. Cases: no snapshot on disk (a new machine), a
snapshot written by that process (restarts, the other workers), a snapshot of older data (the
data changed since: the process starts from it and rebuilds in the background), and a request
sent once the warm-up has finished.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # not bench/ (its http.py would shadow the stdlib)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.booking import admin_execute, private_database, server_url, setup_django  # noqa: E402

TARGET_FIRST_MS = 300.0
MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ms_per_request(client: Any, path: str, seconds: float) -> float:
    """Median milliseconds of GET ``path`` over ``seconds`` (after one untimed request): the
    median, not the mean, so that a neighbour's burst on this shared machine moves it less."""
    first = client.get(path, secure=True)
    assert first.status_code == 200, (path, first.status_code, first.content[:300])
    times: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 5:
        began = time.perf_counter()
        client.get(path, secure=True)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def median_ms(call: Any, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def grow(tutors: int) -> int:
    """Make sure ``tutors`` synthetic tutors exist (plus the demo people), a third of them with
    stored rating totals; returns how many people teach."""
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from bench.search import seed_rating_totals
    from peerlearn.matching.models import TutorDocument

    with override_settings(PASSWORD_HASHERS=MD5):
        call_command("seed_demo", tutors=tutors, quiet=True)
    seed_rating_totals()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return TutorDocument.objects.count()


def home_ms(seconds: float, before: bool) -> tuple[float, float]:
    """The anonymous home page: as shipped (cached showcase) and with the cache emptied before
    every visit (every tutor scanned, as before)."""
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    shipped = ms_per_request(client, "/", seconds)

    def uncached() -> None:
        cache.clear()
        assert client.get("/", secure=True).status_code == 200

    return shipped, median_ms(uncached) if before else 0.0


def search_ms(seconds: float, before: bool) -> tuple[float, float]:
    """``q=student`` through the API as shipped, and the old path's query alone (rank every
    match) for reference."""
    from django.db import transaction
    from django.test import Client

    from peerlearn.matching import selectors

    shipped = ms_per_request(Client(), "/api/v1/tutors/search?q=student", seconds)
    filters = selectors.SearchFilters(q="student")

    def every_match_ranked() -> None:
        with transaction.atomic():
            list(selectors.tutor_search(filters=filters, viewer=None)[:20])

    return shipped, median_ms(every_match_ranked, 5) if before else 0.0


def recommendation_setup() -> tuple[str, int]:
    """A learner's session cookie and a topic that tutors teach."""
    from django.test import Client

    from peerlearn.accounts.models import Subject, User
    from peerlearn.accounts.services import profile_ensure

    learner = User.objects.create_user(email="bench-learner@example.org", password="x" * 12)
    profile_ensure(user=learner)  # before the snapshots: a profile moves the fingerprint
    client = Client()
    client.force_login(learner)
    topic = Subject.objects.filter(kind=Subject.Kind.TOPIC, tutors__isnull=False).first()
    assert topic is not None
    return client.cookies["sessionid"].value, topic.pk


def new_tutor(topic: int) -> None:
    from peerlearn.accounts.models import User
    from peerlearn.accounts.services import profile_ensure, teaching_subject_set

    tutor = User.objects.create_user(email="bench-new-tutor@example.org", password="x" * 12)
    profile_ensure(user=tutor)
    teaching_subject_set(actor=tutor, subject_id=topic, proficiency="expert")


def fresh_process(database_url: str, folder: Path, session: str, topic: int, wait: bool) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MATCHING_INDEX_DIR": str(folder),
        "WARM_UP": "1",
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT_PER_MINUTE": "0",
    }
    env.pop("REDIS_URL", None)
    args = [sys.executable, __file__, "--child", session, str(topic), "1" if wait else "0"]
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(session: str, topic: int, wait: bool) -> None:
    """A web process: import the WSGI entry point (starts the warm-up), then the first request
    (after the warm-up has finished when ``wait``), then warm ones."""
    import threading

    started = time.perf_counter()
    import config.wsgi  # noqa: F401

    imported = time.perf_counter()
    from django.test import Client

    client = Client()
    client.cookies["sessionid"] = session
    if wait:
        for thread in threading.enumerate():
            if thread.name == "peerlearn-warm-up":
                thread.join()
    path = f"/api/v1/tutors/recommended?subject={topic}"
    begin = time.perf_counter()
    first = client.get(path, secure=True)
    first_ms = (time.perf_counter() - begin) * 1000
    assert first.status_code == 200 and first.json(), (first.status_code, first.content[:300])
    warm = median_ms(lambda: client.get(path, secure=True), 9)
    print(
        json.dumps(
            {
                "import_ms": (imported - started) * 1000,
                "first_ms": first_ms,
                "warm_ms": warm,
                "results": len(first.json()),
            }
        )
    )


def copy_database(database_url: str, source: str, copy: str) -> None:
    """``CREATE DATABASE copy TEMPLATE source``. A template must have no sessions: this
    process's connections are closed first (setup_django turns the pool off, so they really
    close), and a finished measuring process's session may take a moment to go."""
    import psycopg
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    url = server_url(database_url, "postgres").replace("postgresql://", "postgres://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy))
        )
        for attempt in range(10):
            try:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(copy), sql.Identifier(source)
                    )
                )
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 9:
                    raise
                time.sleep(0.5)


def measure(database_url: str, kind: str, seconds: float, before: bool) -> list[float]:
    """One measuring process on one database: [shipped ms] or [shipped ms, before ms]."""
    args = [sys.executable, __file__, "--measure", kind, str(seconds), "1" if before else "0"]
    env = {**os.environ, "DATABASE_URL": database_url}
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_child(kind: str, seconds: float, before: bool) -> None:
    from django.conf import settings
    from django.test.utils import override_settings

    setup_django(os.environ["DATABASE_URL"])
    # Pages name their static files; without ``collectstatic`` the manifest storage has none.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(
        DEBUG=False, ALLOWED_HOSTS=["*"], API_RATE_LIMIT_PER_MINUTE=0, STORAGES=storages
    ):
        shipped, old = (home_ms if kind == "home" else search_ms)(seconds, before)
    print(json.dumps([shipped, old] if before else [shipped]))


def interleaved(
    urls: dict[tuple[str, int], str], seconds: float, rounds: int
) -> dict[tuple[str, int], tuple[float, float]]:
    """Every (kind, size) measured once per round, in turn, each in a new process: a change in
    the machine's load hits both sizes of a ratio alike. Medians over the rounds; the "before"
    figure in the first round only."""
    shipped: dict[tuple[str, int], list[float]] = {key: [] for key in urls}
    old: dict[tuple[str, int], float] = {}
    for n in range(rounds):
        for key, url in urls.items():
            result = measure(url, key[0], seconds, before=n == 0)
            shipped[key].append(result[0])
            if n == 0:
                old[key] = result[1]
    return {key: (statistics.median(shipped[key]), old[key]) for key in urls}


def bench(args: argparse.Namespace, database_url: str, name: str) -> None:
    search_sizes = [int(n) for n in args.search_tutors.split(",")]
    home_sizes = [args.home_small, args.home_tutors]
    urls: dict[tuple[str, int], str] = {}
    recs: list[tuple[str, dict]] = []
    folder = Path(tempfile.mkdtemp(prefix="peerlearn-bench-index-"))
    main = server_url(database_url, name)
    try:
        for step in sorted({*home_sizes, *search_sizes}):
            began = time.perf_counter()
            teaching = grow(step)
            print(f"{teaching:>7} tutors (seeded in {time.perf_counter() - began:.0f} s)")
            if step == args.home_tutors:
                session, topic = recommendation_setup()
                for label, before, wait in (
                    ("fresh process, no snapshot yet", "empty", False),
                    ("fresh process, snapshot on disk", "", False),
                    ("fresh process, older snapshot on disk", "change", False),
                    ("fresh process, after its warm-up", "empty", True),
                ):
                    if before == "empty":
                        shutil.rmtree(folder, ignore_errors=True)
                    if before == "change":
                        new_tutor(topic)  # the snapshot on disk is now of older data
                    recs.append((label, fresh_process(main, folder, session, topic, wait)))
            for kind, sizes in (("home", home_sizes), ("search", search_sizes)):
                if step not in sizes:
                    continue
                if step == max(sorted({*home_sizes, *search_sizes})):
                    urls[(kind, teaching)] = main
                else:
                    copy = f"{name}_{kind}_{step}"
                    copy_database(database_url, name, copy)
                    urls[(kind, teaching)] = server_url(database_url, copy)
        results = interleaved(urls, args.seconds, args.rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        from django.db import connections

        connections.close_all()
        for url in urls.values():
            if url != main:
                admin_execute(
                    database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", url.rsplit("/", 1)[1]
                )
    home = {size: r for (kind, size), r in results.items() if kind == "home"}
    search = {size: r for (kind, size), r in results.items() if kind == "search"}
    report(home, search, recs)


def report(
    home: dict[int, tuple[float, float]],
    search: dict[int, tuple[float, float]],
    recs: list[tuple[str, dict]],
) -> None:
    print()
    (small, (small_ms, small_old)), (big, (big_ms, big_old)) = sorted(home.items())
    print(f"home page, anonymous         {small:>7} tutors {big:>7} tutors   ratio  target")
    row(" shipped (cached showcase)", small_ms, big_ms, "≤ 1.2")
    row(" cache emptied every visit", small_old, big_old, "(before)")
    print()
    print(
        f"first recommendations request at {big} tutors"
        "  first ms  /300 ms  /warm  warm ms  start-up ms"
    )
    for label, r in recs:
        print(
            f"  {label:36} {r['first_ms']:8.1f} {r['first_ms'] / TARGET_FIRST_MS:8.2f}"
            f" {r['first_ms'] / r['warm_ms']:6.1f} {r['warm_ms']:8.1f} {r['import_ms']:11.0f}"
        )
    print("  (start-up: importing config.wsgi, URLconf included, before the server would listen)")
    print("  (target: the snapshot line ≤ 1.00 of 300 ms)")
    print()
    (low, (low_ms, low_old)), (high, (high_ms, high_old)) = sorted(search.items())
    print(f"search q=student             {low:>7} tutors {high:>7} tutors   ratio  target")
    row(" API request (shipped)", low_ms, high_ms, "≤ 1.5")
    row(" query ranking every match", low_old, high_old, "(before)")


def row(label: str, small: float, big: float, target: str) -> None:
    print(f" {label:27} {small:10.1f} ms {big:10.1f} ms {big / small:7.2f}  {target}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1")
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        measure_child(sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--home-small", type=int, default=25, help="+ the demo people's 25")
    parser.add_argument("--home-tutors", type=int, default=20_000)
    parser.add_argument("--search-tutors", default="10000,100000")
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/hotspots.py needs DATABASE_URL=postgres://... (a PostgreSQL server)")
    name = database_url.rsplit("/", 1)[1].split("?")[0] + "_hot"
    began = time.perf_counter()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with private_database(database_url, name) as url:
        setup_django(url)
        bench(args, database_url, name)
        print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
