"""The admin's people list at 100,000 users, against the same list at 1,000.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/peerlearn .venv/bin/python bench/admin.py
     [--small 1000] [--large 100000] [--requests 15]

Creates its own database (``peerlearn_bench_admin_<pid>``) on the server DATABASE_URL names,
migrates it, and drops it at the end. As a superuser through Django's test client (the whole
stack but the socket): the users changelist (first page, newest first), a search by email, and
the landing page, each the median of ``--requests`` requests, with ``--small`` users and then
with ``--large`` (profiles included). The baseline is the same page at ``--small`` users, so the
ratio says how a page grows with the table; the query count of each page is printed too (it
must not grow with the number of rows shown).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from booking import ROOT, private_database, setup_django  # noqa: F401 (ROOT fixes sys.path)


def _add_people(start: int, count: int) -> None:
    from django.db import transaction

    from peerlearn.accounts.models import Profile, User

    batch = 5000
    for offset in range(start, start + count, batch):
        numbers = range(offset, min(offset + batch, start + count))
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(email=f"person{n}@bench.example.org", password="!") for n in numbers
            )
            Profile.objects.bulk_create(
                Profile(user=u, display_name=f"Person {n}")
                for u, n in zip(users, numbers, strict=True)
            )


def _plain_static_files() -> None:
    """Static URLs without the manifest (no ``collectstatic`` here): the pages, not the files."""
    from django.conf import settings
    from django.test.utils import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}).enable()


def _measure(get: Callable[[], Any], requests: int) -> tuple[float, int]:
    from django.db import connection

    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = get()
    assert response.status_code == 200, response.status_code
    queries = len(statements)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        get()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server.")
    with private_database(database_url, f"peerlearn_bench_admin_{os.getpid()}") as url:
        setup_django(url)
        from django.conf import settings
        from django.test import Client

        from peerlearn.accounts.models import User

        settings.ALLOWED_HOSTS = ["testserver"]
        _plain_static_files()
        root = User.objects.create_superuser(email="root@bench.example.org", password="x")
        client = Client()
        client.force_login(root)
        pages = {
            "users changelist": lambda: client.get("/admin/accounts/user/", secure=True),
            "users search": lambda: client.get(
                "/admin/accounts/user/", {"q": "person4242@"}, secure=True
            ),
            "landing page": lambda: client.get("/admin/", secure=True),
        }
        _add_people(0, args.small)
        small = {name: _measure(get, args.requests) for name, get in pages.items()}
        _add_people(args.small, args.large - args.small)
        large = {name: _measure(get, args.requests) for name, get in pages.items()}
        print(f"admin pages, median of {args.requests} requests (test client, superuser)")
        print(f"{'page':<18} {args.small:>8,} users {args.large:>10,} users   ratio  queries")
        for name in pages:
            (t_small, q_small), (t_large, q_large) = small[name], large[name]
            print(
                f"{name:<18} {t_small * 1000:>11.1f} ms {t_large * 1000:>13.1f} ms "
                f"{t_large / t_small:>6.2f}x  {q_small} → {q_large}"
            )


if __name__ == "__main__":
    main()
