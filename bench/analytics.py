"""The administrators' analytics page at 1k users and at 100k users / 1M bookings / 5M ledger rows.

Run: .venv/bin/python bench/analytics.py [--users 100000] [--bookings 1000000]
     [--ledger 5000000] [--runs 9]
     (DATABASE_URL=postgres://... names the server; default postgres://postgres@127.0.0.1:5432)

Creates its own database (``peerlearn_bench_analytics``), migrates it, and runs two phases in
it. Each phase generates a year of data in the database (``INSERT … SELECT generate_series``):
people with profiles in 100 institutions, bookings with their audit events (request, accept,
complete) and learners' reviews of a third of the completed ones, judged submissions, and the
points ledger; then it backfills the rollup (``analytics_rollup --backfill``, timed) and times
the page. The small phase is 1% of each figure (1k users, 10k bookings, 50k ledger rows); the
large phase replaces it with the full figures.

Baseline, measured in the same run: the small phase. Each phase times (median of ``--runs``,
taking turns) the whole page through Django's test client for a superuser (30 days, every
institution), the same for one institution, and the report's selector alone; the large phase
is printed as a ratio of the small one (the target is ≤ 1.5×), with the page's query count in
both. For contrast, the large phase also times one funnel count scanned from the bookings
themselves (what a page without rollups would run, per number).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.booking import private_database, setup_django  # noqa: E402

DATABASE = "peerlearn_bench_analytics"
END = datetime(2030, 6, 30, 12, 0, tzinfo=UTC)  # the data's last day; the page shows 30 days
YEAR = 365 * 24 * 3600


@contextmanager
def bulk_load(cur: Any, table: str) -> Iterator[None]:
    """Drop ``table``'s secondary indexes and foreign keys, load, then build them back in one
    pass each (much faster than maintaining them row by row)."""
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    foreign = cur.fetchall()
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        [table],
    )
    indexes = cur.fetchall()
    for name, _ in foreign:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    yield
    for _, definition in indexes:
        cur.execute(definition)
    for name, definition in foreign:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def load(users: int, bookings: int, ledger: int, submissions: int) -> float:
    """One year of generated data ending at ``END``; returns the seconds it took."""
    from django.db import connection

    from peerlearn.accounts.models import Institution
    from peerlearn.common.testing import make_subject
    from peerlearn.practice.models import Problem

    if not Institution.objects.filter(slug="bench-u-0").exists():
        Institution.objects.bulk_create(
            Institution(name=f"Bench University {i}", slug=f"bench-u-{i}") for i in range(100)
        )
    first_institution = Institution.objects.get(slug="bench-u-0").pk
    subject = make_subject("Bench analytics")
    problem, _ = Problem.objects.get_or_create(
        slug="bench-problem",
        defaults={"title": "Bench", "difficulty": "easy", "kind": "function", "statement": "s",
                  "statement_html": "s", "starter_code": {}},
    )  # fmt: skip
    began = time.perf_counter()
    p: dict[str, Any] = {
        "users": users,
        "bookings": bookings,
        "ledger": ledger,
        "subs": submissions,
        "end": END,
        "year": YEAR,
        "inst": first_institution,
        "subject": subject.pk,
        "problem": problem.pk,
    }
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute(
            """
            INSERT INTO accounts_user
                (password, is_superuser, is_staff, is_active, date_joined, email, role)
            SELECT '!', false, false, true,
                   %(end)s - make_interval(secs => (1 - g::float8 / %(users)s) * %(year)s),
                   'bench' || g || '@bench.local', 'learner'
            FROM generate_series(1, %(users)s) g
            """,
            p,
        )
        cur.execute("SELECT min(id) FROM accounts_user WHERE email LIKE 'bench%%'")
        p["first"] = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO accounts_profile
                (user_id, display_name, avatar, avatar_thumbnail, bio, institution_id, programme,
                 timezone, languages, city, learning_styles, session_formats, updated_at)
            SELECT id, 'Bench person ' || id, '', '', '', %(inst)s + (id %% 100), '', 'UTC',
                   '[]', '', '[]', '[]', now()
            FROM accounts_user WHERE id >= %(first)s
            """,
            p,
        )
        with bulk_load(cur, "scheduling_booking"):
            # status by g mod 20: 12 completed, 2 cancelled (1 late), 1 no-show, 5 confirmed
            cur.execute(
                """
                INSERT INTO scheduling_booking
                    (uid, kind, tutor_id, subject_id, title, starts_at, ends_at, capacity, status,
                     note, created_by_id, sequence, cancelled_late, no_show_user_id, created_at,
                     updated_at)
                SELECT gen_random_uuid(), 'one_to_one',
                       %(first)s + (g::bigint * 7919) %% %(users)s, %(subject)s, '',
                       t + interval '2 days', t + interval '2 days 1 hour', 1,
                       CASE WHEN g %% 20 < 12 THEN 'completed' WHEN g %% 20 < 14 THEN 'cancelled'
                            WHEN g %% 20 = 14 THEN 'no_show' ELSE 'confirmed' END,
                       '', %(first)s + (g::bigint * 104729 + 1) %% %(users)s, 0, g %% 20 = 13,
                       CASE WHEN g %% 20 = 14
                            THEN %(first)s + (g::bigint * 104729 + 1) %% %(users)s END,
                       t, t
                FROM (SELECT g, %(end)s - interval '2 days'
                             - make_interval(secs => (1 - g::float8 / %(bookings)s) * %(year)s) t
                      FROM generate_series(1, %(bookings)s) g) s
                """,
                p,
            )
        with bulk_load(cur, "scheduling_bookingevent"):
            cur.execute(
                """
                INSERT INTO scheduling_bookingevent
                    (booking_id, actor_id, action, from_status, to_status, reason, data, at)
                SELECT id, created_by_id, 'request', '', 'requested', '', '{}'::jsonb, created_at
                FROM scheduling_booking
                UNION ALL
                SELECT id, tutor_id, 'accept', 'requested', 'confirmed', '', '{}'::jsonb,
                       created_at + interval '1 hour'
                FROM scheduling_booking WHERE status <> 'cancelled'
                UNION ALL
                SELECT id, tutor_id, 'complete', 'confirmed', 'completed', '', '{}'::jsonb,
                       ends_at + interval '10 minutes'
                FROM scheduling_booking WHERE status = 'completed'
                """
            )
        with bulk_load(cur, "reviews_review"):
            cur.execute(
                """
                INSERT INTO reviews_review
                    (booking_id, author_id, subject_id, direction, clarity, knowledge, patience,
                     punctuality, overall, comment, tags, created_at, updated_at, hidden_reason)
                SELECT id, created_by_id, tutor_id, 'of_tutor', c, k, pa, pu,
                       round((c + k + pa + pu) / 4.0, 2), '', '[]',
                       ends_at + interval '3 hours', ends_at + interval '3 hours', ''
                FROM (SELECT id, created_by_id, tutor_id, ends_at,
                             1 + (id * 3) % 5 c, 2 + (id * 7) % 4 k, 3 + id % 3 pa,
                             1 + (id * 11) % 5 pu
                      FROM scheduling_booking
                      WHERE status = 'completed' AND id % 3 = 0
                        AND created_by_id <> tutor_id) s
                """
            )
        with bulk_load(cur, "practice_submission"):
            cur.execute(
                """
                INSERT INTO practice_submission
                    (user_id, problem_id, language, code, mode, custom_input, status, verdict,
                     tests_done, passed, total, compile_output, results, error,
                     code_fingerprint, created_at, finished_at)
                SELECT %(first)s + (g::bigint * 31) %% %(users)s, %(problem)s,
                       (ARRAY['python', 'cpp', 'javascript'])[1 + g %% 3], 'x', 'submit', '',
                       'done', (ARRAY['accepted', 'wrong_answer', 'time_limit_exceeded',
                                      'runtime_error'])[1 + g %% 4],
                       1, 1, 1, '', '[]', '', '', t, t + make_interval(secs => 1 + g %% 600)
                FROM (SELECT g, %(end)s
                             - make_interval(secs => (1 - g::float8 / %(subs)s) * %(year)s) t
                      FROM generate_series(1, %(subs)s) g) s
                """,
                p,
            )
        with bulk_load(cur, "gamification_pointaward"):
            cur.execute(
                """
                INSERT INTO gamification_pointaward
                    (user_id, cause, object_id, points, earned_at, subject_id, counterpart_id,
                     title, url, created_at)
                SELECT %(first)s + floor(%(users)s * power(random(), 3))::int, 'problem_solved',
                       g, 10, %(end)s - make_interval(secs => (1 - g::float8 / %(ledger)s)
                                                       * %(year)s),
                       NULL, NULL, 'Bench award', '', now()
                FROM generate_series(1, %(ledger)s) g
                """,
                p,
            )
        cur.execute("VACUUM ANALYZE")
    return time.perf_counter() - began


def clear() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE accounts_user, scheduling_booking, scheduling_bookingevent, reviews_review, "
            "practice_submission, gamification_pointaward, analytics_dailymetric, "
            "analytics_activeuserday, analytics_rollupday CASCADE"
        )


def medians_ms(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for action in actions.values():
        action()  # warm-up
    for _ in range(runs):
        for name, action in actions.items():
            began = time.perf_counter()
            action()
            samples[name].append((time.perf_counter() - began) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def phase(
    label: str, users: int, bookings: int, ledger: int, submissions: int, runs: int
) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from peerlearn.accounts.models import Institution, User
    from peerlearn.analytics import selectors, services
    from peerlearn.analytics.models import DailyMetric

    clear()
    loaded = load(users, bookings, ledger, submissions)
    print(f"{label}: loaded in {loaded:.0f} s, backfilling the rollup …", flush=True)
    began = time.perf_counter()
    services.rollup_days(start=(END - timedelta(days=366)).date(), end=END.date())
    backfill = time.perf_counter() - began
    admin = User.objects.create_superuser(email=f"root-{label}@bench.local", password="x" * 12)
    client = Client()
    client.force_login(admin)
    start = (END - timedelta(days=29)).date()
    url = f"/insights/?start={start}&end={END.date()}"
    institution = Institution.objects.get(slug="bench-u-7").pk
    scope = selectors.AnalyticsScope(None, "All")
    filters = selectors.Filters(start, END.date(), None)

    def page(suffix: str = "") -> Callable[[], object]:
        def get() -> object:
            response = client.get(url + suffix, secure=True)
            assert response.status_code == 200, response.status_code
            return response

        return get

    def scan() -> object:
        from peerlearn.scheduling.models import BookingEvent

        since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        return BookingEvent.objects.filter(action="complete", at__gte=since).count()

    with CaptureQueriesContext(connection) as ctx:
        page()()
    actions: dict[str, Callable[[], object]] = {
        "page": page(),
        "institution": page(f"&institution={institution}"),
        "report": lambda: selectors.admin_report(scope=scope, filters=filters),
        "scan": scan,
    }
    ms = medians_ms(actions, runs)
    return {
        "load": loaded,
        "backfill": backfill,
        "queries": len(ctx),
        "rollup_rows": DailyMetric.objects.count(),
        "ms": ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--ledger", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/analytics.py needs a PostgreSQL server (DATABASE_URL=postgres://...)")
    began = time.perf_counter()
    with private_database(database_url, DATABASE) as url:
        setup_django(url)
        from django.conf import settings
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections, reset_queries
        from django.test.utils import override_settings

        # As in tests: one connection for the whole run, not a new one per request.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        request_started.disconnect(reset_queries)  # or the page's queries go uncounted

        # Pages name their static files; without ``collectstatic`` the manifest storage has none.
        storages = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        sizes = {
            "small": (args.users // 100, args.bookings // 100, args.ledger // 100),
            "large": (args.users, args.bookings, args.ledger),
        }
        with override_settings(ALLOWED_HOSTS=["*"], STORAGES=storages):
            results = {
                name: phase(name, u, b, lg, b // 10, args.runs)
                for name, (u, b, lg) in sizes.items()
            }
    print(f"{'phase':6} {'users':>8} {'bookings':>10} {'ledger':>10} {'load s':>7} "
          f"{'backfill s':>10} {'rollup rows':>11} {'queries':>7}")  # fmt: skip
    for name, (u, b, lg) in sizes.items():
        r = results[name]
        print(
            f"{name:6} {u:8,} {b:10,} {lg:10,} {r['load']:7.1f} {r['backfill']:10.1f} "
            f"{r['rollup_rows']:11,} {r['queries']:7}"
        )
    small, large = results["small"]["ms"], results["large"]["ms"]
    print(f"{'median of ' + str(args.runs) + ', ms':44} {'small':>8} {'large':>8} {'ratio':>6}")
    for key, label in (
        ("page", "admin page, 30 days, every institution"),
        ("institution", "admin page, 30 days, one institution"),
        ("report", "admin_report selector alone"),
        ("scan", "contrast: one count scanned from events"),
    ):
        print(f"{label:44} {small[key]:8.1f} {large[key]:8.1f} {large[key] / small[key]:6.2f}")
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
