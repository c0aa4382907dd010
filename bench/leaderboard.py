"""Weekly leaderboard over a large ledger, on PostgreSQL: the top-20 page and the viewer's rank.

Run: .venv/bin/python bench/leaderboard.py [--users 100000] [--rows 5000000] [--runs 9]
     (DATABASE_URL=postgres://... names the server; default postgres://postgres@127.0.0.1:5432)

Creates its own database (``peerlearn_bench_lb``), migrates it, bulk-loads ``--users`` users
with profiles (100 institutions) and ``--rows`` ledger rows with ``INSERT … SELECT
generate_series`` (one year of awards, a skewed distribution of who earns: a few people earn a
lot), runs ``ANALYZE``, measures, and drops the database at the end.

Baseline, measured in the same run: the same period's plain ``GROUP BY user_id`` with
``sum(points)``, every group fetched, no ranking and no ordering. Measured against it (median
of ``--runs``, the queries taking turns):

- the global weekly page (``selectors.leaderboard``: top 20, ranks, names; no viewer),
- the viewer's rank for someone far outside the top 20 (``selectors.viewer_rank``),
- the page with that viewer (what a logged-in visitor gets),
- the subject weekly page (an area: its topics included) and the monthly global page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.booking import admin_execute, server_url, setup_django  # noqa: E402

DATABASE = "peerlearn_bench_lb"
# A Sunday evening: "this week" (UTC, from Monday) holds a full week of the generated year.
NOW = datetime(2030, 6, 16, 22, 0, tzinfo=UTC)
YEAR_SECONDS = 365 * 24 * 3600


def load(users: int, rows: int) -> dict[str, Any]:
    """Users, profiles, a small catalogue and the ledger, all generated in the database."""
    from django.db import connection

    from peerlearn.accounts.models import Institution
    from peerlearn.common.testing import make_subject

    topics = [
        make_subject(name, parent_names=("Bench area", f"Bench subject {i % 3}"))
        for i, name in enumerate(["Graphs", "Trees", "Heaps", "Sorting", "Hashing", "DP"])
    ]
    institutions = Institution.objects.bulk_create(
        Institution(name=f"Bench University {i}", slug=f"bench-u-{i}") for i in range(100)
    )
    first_institution = institutions[0].pk
    topic_ids = [t.pk for t in topics]
    began = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO accounts_user
                (password, is_superuser, is_staff, is_active, date_joined, email, role)
            SELECT '!', false, false, true, now(), 'bench' || g || '@bench.local', 'learner'
            FROM generate_series(1, %s) g
            """,
            [users],
        )
        cur.execute("SELECT min(id), max(id) FROM accounts_user")
        first_user, last_user = cur.fetchone()
        cur.execute(
            """
            INSERT INTO accounts_profile
                (user_id, display_name, avatar, avatar_thumbnail, bio, institution_id, programme,
                 timezone, languages, city, learning_styles, session_formats, updated_at)
            SELECT id, 'Bench person ' || id, '', '', '', %s + (id %% 100), '', 'UTC', '[]', '',
                   '[]', '[]', now()
            FROM accounts_user
            """,
            [first_institution],
        )
        # Load the ledger without its indexes and foreign keys, then build them in one pass each
        # (much faster than maintaining five of them row by row).
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'gamification_pointaward'::regclass AND contype IN ('f', 'u')"
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'gamification_pointaward'"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint) "
        )
        indexes = cur.fetchall()
        for name, _ in constraints:
            cur.execute(f'ALTER TABLE gamification_pointaward DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        # Who earns: user = first + floor(users * r^3), so low ids earn far more (a long tail).
        # Rows arrive in time order over the year, as an append-only ledger does. A third are
        # sessions with a subject; points 5..40.
        cur.execute(
            """
            INSERT INTO gamification_pointaward
                (user_id, cause, object_id, points, earned_at, subject_id, counterpart_id,
                 title, url, created_at)
            SELECT %(first)s + floor(%(users)s * power(random(), 3))::int,
                   CASE WHEN g %% 3 = 0 THEN 'session_attended' ELSE 'problem_solved' END,
                   g,
                   (ARRAY[5, 10, 20, 40])[1 + g %% 4],
                   %(now)s - make_interval(secs => (1 - g::float8 / %(rows)s) * %(year)s),
                   CASE WHEN g %% 3 = 0 THEN (%(topics)s::bigint[])[1 + g %% %(ntopics)s] END,
                   NULL, 'Bench award', '', now()
            FROM generate_series(1, %(rows)s) g
            """,
            {
                "first": first_user,
                "users": users,
                "now": NOW,
                "year": YEAR_SECONDS,
                "topics": topic_ids,
                "ntopics": len(topic_ids),
                "rows": rows,
            },
        )
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cur.execute(definition)
        for name, definition in constraints:
            cur.execute(f'ALTER TABLE gamification_pointaward ADD CONSTRAINT "{name}" {definition}')
        cur.execute("VACUUM ANALYZE")
        cur.execute("SELECT count(*) FROM gamification_pointaward")
        (count,) = cur.fetchone()
    return {
        "seconds": time.perf_counter() - began,
        "rows": count,
        "first_user": first_user,
        "last_user": last_user,
        "area_id": topics[0].parent.parent_id,  # type: ignore[union-attr]
    }


def medians_ms(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median milliseconds of each action; they take turns, so load changes hit all alike."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for action in actions.values():
        action()  # warm-up: plans, caches
    for _ in range(runs):
        for name, action in actions.items():
            began = time.perf_counter()
            action()
            samples[name].append((time.perf_counter() - began) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def plain_group_by(start: datetime, end: datetime) -> list[tuple[int, int]]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT user_id, sum(points) FROM gamification_pointaward "
            "WHERE earned_at >= %s AND earned_at < %s GROUP BY user_id",
            [start, end],
        )
        return cur.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/leaderboard.py needs a PostgreSQL server (DATABASE_URL=postgres://...)")

    admin_execute(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", DATABASE)
    admin_execute(database_url, "CREATE DATABASE {}", DATABASE)
    began = time.perf_counter()
    try:
        setup_django(server_url(database_url, DATABASE))
        from peerlearn.accounts.models import User
        from peerlearn.gamification import selectors

        data = load(args.users, args.rows)
        print(
            f"loaded {args.users:,} users and {data['rows']:,} ledger rows "
            f"in {data['seconds']:.1f} s"
        )
        start, end = selectors.period_bounds("week", selectors.board_zone("global", None), NOW)
        groups = plain_group_by(start, end)
        in_week = sum(1 for _ in groups)
        # A viewer far down the board: the median earner of the week.
        ranked = sorted(groups, key=lambda g: -g[1])
        outsider_id = ranked[len(ranked) // 2][0]
        outsider = User.objects.select_related("profile").get(pk=outsider_id)
        week_rows = selectors.board_rows(
            period="week", scope="global", scope_id=None, viewer=None, now=NOW
        )
        print(f"this week: {week_rows.count():,} ledger rows, {in_week:,} people with points")

        def board(**kw: Any) -> Callable[[], object]:
            return lambda: selectors.leaderboard(now=NOW, **kw)

        ms = medians_ms(
            {
                "plain": lambda: plain_group_by(start, end),
                "page": board(period="week", scope="global"),
                "rank": lambda: selectors.viewer_rank(week_rows, outsider),
                "page+me": board(period="week", scope="global", viewer=outsider),
                "subject": board(period="week", scope="subject", scope_id=data["area_id"]),
                "month": board(period="month", scope="global"),
            },
            args.runs,
        )
        me = selectors.leaderboard(period="week", scope="global", viewer=outsider, now=NOW).me
        assert me is not None and not any(
            r.user_id == outsider.pk
            for r in selectors.leaderboard(period="week", scope="global", now=NOW).rows
        )
        base = ms["plain"]
        lines = [
            ("plain GROUP BY sum, week (baseline)", ms["plain"]),
            ("weekly page: top 20 with ranks", ms["page"]),
            (f"viewer's rank lookup (rank {me.rank:,})", ms["rank"]),
            ("weekly page + viewer's rank", ms["page+me"]),
            ("weekly subject page (area + topics)", ms["subject"]),
            ("monthly page: top 20 with ranks", ms["month"]),
        ]
        print(f"{'measurement (median of ' + str(args.runs) + ')':44} {'ms':>9} {'ratio':>8}")
        for label, value in lines:
            print(f"{label:44} {value:9.1f} {value / base:8.2f}")
        print(f"total {time.perf_counter() - began:.1f} s")
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        admin_execute(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", DATABASE)


if __name__ == "__main__":
    main()
