"""Discussion pages' throughput as a ratio to a hello-world Django view, in the same run.

Run: .venv/bin/python bench/forum.py [--seconds 3] [--threads 10000] [--replies 500]

In-process with Django's test ``Client`` (the full middleware stack, templates and ORM, no
network or ASGI server; bench/http.py measures servers). A throwaway SQLite database in a
temporary folder gets ``--threads`` threads in one category and one thread with ``--replies``
replies; each page is requested for ``--seconds`` by a signed-in reader. Baseline: a view that
returns "hello" through the same Client and middleware.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/ (its http.py would shadow the stdlib)


def rate(client, path: str, seconds: float) -> float:
    assert client.get(path).status_code == 200, path
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        client.get(path)
        done += 1
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--replies", type=int, default=500)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="forum-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import include, path
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from peerlearn.common.testing import make_user
    from peerlearn.forum.models import Category, Reply, Thread

    settings.ALLOWED_HOSTS = ["*"]
    author, reader = make_user(), make_user()
    category = Category.objects.create(slug="bench", name="Bench", kind="general")
    now = timezone.now()
    Thread.objects.bulk_create(
        Thread(
            category=category,
            author=author,
            title=f"Thread {i}",
            body="body",
            html="<p>body</p>",
            last_activity_at=now,
            score=i % 7,
        )
        for i in range(args.threads)
    )
    big = Thread.objects.create(
        category=category, author=author, title="Big thread", body="b", html="<p>b</p>"
    )
    Reply.objects.bulk_create(
        Reply(
            thread=big,
            author=reader if i % 2 else author,
            body=f"reply {i}",
            html=f"<p>reply {i} with <code>code</code></p>",
        )
        for i in range(args.replies)
    )
    Thread.objects.filter(pk=big.pk).update(reply_count=args.replies)

    urls = type(sys)("bench_forum_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path("hello/", lambda r: HttpResponse("hello")),
        path("", include("config.urls")),
    ]
    sys.modules["bench_forum_urls"] = urls
    with override_settings(ROOT_URLCONF="bench_forum_urls", DEBUG=False):
        client = Client()
        client.force_login(reader)
        base = rate(client, "/hello/", args.seconds)
        print(
            f"data: {args.threads} threads, one with {args.replies} replies; {args.seconds}s each"
        )
        print(f"{'hello-world view':32} {base:8.0f} req/s   1.00")
        for label, url in [
            ("category (activity, page 1)", "/discussions/c/bench/"),
            ("category (votes, page 200)", "/discussions/c/bench/?sort=votes&page=200"),
            ("thread page (replies 1-30)", f"/discussions/t/{big.pk}/"),
            ("thread page (last page)", f"/discussions/t/{big.pk}/?page=last"),
            ("discussions index", "/discussions/"),
            ("search 'thread 99'", "/discussions/search/?q=thread+99"),
        ]:
            r = rate(client, url, args.seconds)
            print(f"{label:32} {r:8.0f} req/s   {r / base:.3f}")


if __name__ == "__main__":
    main()
