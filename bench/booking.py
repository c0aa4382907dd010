"""Booking throughput, a 200-client race for one slot, and slot computation, on PostgreSQL.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/peerlearn .venv/bin/python bench/booking.py
     [--bookings 150] [--rounds 3] [--racers 200] [--connections 80] [--slot-calls 30]

Creates its own database (``peerlearn_bench_<pid>``) on the server DATABASE_URL names, migrates
it, and drops it at the end. Baselines, measured in the same run:

(a) ``services.booking_request`` (slot check, overlap checks, claims, audit event, in-app
    notification, email task enqueued) against plain ORM inserts of the same rows (one Booking
    and its two TimeClaims, one transaction per booking, one by one), and ``bulk_create`` of
    them all in one transaction; the three take turns over a few rounds.
(b) ``--racers`` threads, each its own database connection, released by one barrier, request
    the same slot through the service. PostgreSQL allows 100 connections here, so at most
    ``--connections`` of them hold a connection at once (like a server with that many database
    connections); the rest wait for one. Baseline: the same number of non-conflicting requests
    on the same threads.
(c) ``selectors.bookable_slots`` for a tutor with 1,000 bookings over the 8-week horizon,
    against generating the same candidate start times in plain Python without any check.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any, LiteralString
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path, where http.py would shadow the standard
# library's http (which Django imports): put the project root there instead.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # test accounts only: fast to create


# --- the database ----------------------------------------------------------------------------


def server_url(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_execute(database_url: str, statement: LiteralString, database: str) -> None:
    """Run CREATE/DROP DATABASE {} on the server's maintenance database, quoting the name."""
    import psycopg
    from psycopg import sql

    url = server_url(database_url, "postgres").replace("postgresql://", "postgres://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(database)))


@contextlib.contextmanager
def private_database(database_url: str, name: str) -> Iterator[str]:
    """A new, empty database ``name`` on ``database_url``'s server (its URL is yielded), dropped
    afterwards, this process's connections to it closed first."""
    admin_execute(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
    admin_execute(database_url, "CREATE DATABASE {}", name)
    try:
        yield server_url(database_url, name)
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        admin_execute(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"  # no query log
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("REDIS_URL", None)  # in-memory channel layer: measure the database only
    # No connection pool: the benches copy databases as templates and drop them, and a pooled
    # connection stays open on its database after connections.close_all().
    os.environ["DB_POOL_MAX"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- people ------------------------------------------------------------------------------------


def make_people(tutors: int, learners: int, prefix: str) -> tuple[list[Any], list[Any]]:
    """Tutors available every day 00:00-23:30 UTC, with a policy that lets the scenarios
    book densely (no notice, no buffers, a high daily cap)."""
    from django.test import override_settings

    from peerlearn.common.testing import make_subject, make_tutor, make_user
    from peerlearn.scheduling.models import TutorPolicy

    with override_settings(PASSWORD_HASHERS=MD5):
        subject = make_subject(f"Bench {prefix}")
        windows = [(d, "00:00", "23:30") for d in range(7)]
        tutor_list = [
            make_tutor(f"{prefix}-tutor{i}@bench.local", windows=windows, subject=subject)
            for i in range(tutors)
        ]
        learner_list = [make_user(f"{prefix}-learner{i}@bench.local") for i in range(learners)]
    for tutor in tutor_list:
        TutorPolicy.objects.create(
            user=tutor,
            buffer_before_minutes=0,
            buffer_after_minutes=0,
            min_notice_hours=0,
            max_sessions_per_day=24,
            horizon_weeks=8,
        )
    return tutor_list, learner_list


def tomorrow_at(hour: int) -> datetime:
    day = datetime.now(UTC) + timedelta(days=1)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


# --- (a) throughput ----------------------------------------------------------------------------


def plan_bookings(
    tutors: list[Any], learners: list[Any], count: int
) -> list[tuple[Any, Any, datetime]]:
    """``count`` one-hour sessions nobody double-books: on day d, tutor t meets learner
    (t + d) mod L at (t mod 12):00 UTC, so each person has at most one session an hour."""
    plan: list[tuple[Any, Any, datetime]] = []
    day = 0
    while len(plan) < count:
        for t, tutor in enumerate(tutors):
            start = tomorrow_at(t % 12) + timedelta(days=day)
            plan.append((tutor, learners[(t + day) % len(learners)], start))
        day += 1
    return plan[:count]


def insert_plain(plan: list[tuple[Any, Any, datetime]], subject_id: int) -> None:
    from django.db import transaction

    from peerlearn.scheduling.models import Booking, TimeClaim

    for tutor, learner, start in plan:
        end = start + timedelta(hours=1)
        with transaction.atomic():
            booking = Booking.objects.create(
                tutor=tutor, subject_id=subject_id, starts_at=start, ends_at=end, created_by=learner
            )
            TimeClaim.objects.create(
                booking=booking, user=tutor, role="tutor", starts_at=start, ends_at=end
            )
            TimeClaim.objects.create(
                booking=booking, user=learner, role="learner", starts_at=start, ends_at=end
            )


def insert_bulk(plan: list[tuple[Any, Any, datetime]], subject_id: int) -> None:
    from django.db import transaction

    from peerlearn.scheduling.models import Booking, TimeClaim

    with transaction.atomic():
        bookings = Booking.objects.bulk_create(
            Booking(
                tutor=tutor,
                subject_id=subject_id,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                created_by=learner,
            )
            for tutor, learner, start in plan
        )
        claims = []
        for booking, (tutor, learner, start) in zip(bookings, plan, strict=True):
            for user, role in ((tutor, "tutor"), (learner, "learner")):
                claims.append(
                    TimeClaim(
                        booking=booking,
                        user=user,
                        role=role,
                        starts_at=start,
                        ends_at=booking.ends_at,
                    )
                )
        TimeClaim.objects.bulk_create(claims)


def through_service(plan: list[tuple[Any, Any, datetime]], subject_id: int) -> None:
    from peerlearn.scheduling import services

    for tutor, learner, start in plan:
        services.booking_request(
            actor=learner,
            tutor_id=tutor.pk,
            subject_id=subject_id,
            starts_at=start,
            duration_minutes=60,
        )


def clear_bookings() -> None:
    from peerlearn.notifications.models import Notification
    from peerlearn.scheduling.models import Booking

    Booking.objects.all().delete()
    Notification.objects.all().delete()


def timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def bench_throughput(count: int, rounds: int) -> list[tuple[str, float, str, float]]:
    """The three ways take turns for ``rounds`` rounds of ``count`` bookings each (the same
    rows every time, deleted in between), so a change in machine load hits all of them."""
    tutors, learners = make_people(20, 20, "a")
    subject_id = tutors[0].teaching_subjects.get().subject_id
    plan = plan_bookings(tutors, learners, count)
    warm = plan_bookings(tutors, learners, count + 20)[count:]  # later days, same people
    through_service(warm, subject_id)  # warm caches, connections and code paths
    clear_bookings()

    ways: dict[str, Callable[[], None]] = {
        "plain": lambda: insert_plain(plan, subject_id),
        "bulk": lambda: insert_bulk(plan, subject_id),
        "service": lambda: through_service(plan, subject_id),
    }
    seconds = dict.fromkeys(ways, 0.0)
    for _ in range(rounds):
        for name, way in ways.items():
            seconds[name] += timed(way)
            clear_bookings()
    rate = {name: count * rounds / spent for name, spent in seconds.items()}
    return [
        ("ORM inserts, one by one (baseline)", rate["plain"], "bookings/s", 1.0),
        (
            "ORM bulk_create, one transaction",
            rate["bulk"],
            "bookings/s",
            rate["bulk"] / rate["plain"],
        ),
        (
            "services.booking_request",
            rate["service"],
            "bookings/s",
            rate["service"] / rate["plain"],
        ),
    ]


# --- (b) the race ------------------------------------------------------------------------------


def race(calls: list[Callable[[], str]], connections_allowed: int) -> tuple[list[str], float]:
    """Run the calls on one thread each, released together; at most ``connections_allowed``
    hold a database connection at a time. Returns each outcome and the wall time."""
    from django.db import connections

    from peerlearn.common.testing import connect_patiently

    barrier = threading.Barrier(len(calls) + 1)
    gate = threading.BoundedSemaphore(connections_allowed)
    outcomes = ["unfinished"] * len(calls)

    def run(index: int, call: Callable[[], str]) -> None:
        barrier.wait()
        with gate:
            try:
                connect_patiently()
                outcomes[index] = call()
            except Exception as exc:
                outcomes[index] = f"error: {type(exc).__name__}: {exc}"
            finally:
                connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return outcomes, time.perf_counter() - began


def request_outcome(
    learner: Any, tutor: Any, subject_id: int, start: datetime
) -> Callable[[], str]:
    from peerlearn.common.errors import Conflict
    from peerlearn.scheduling import services

    def call() -> str:
        try:
            services.booking_request(
                actor=learner,
                tutor_id=tutor.pk,
                subject_id=subject_id,
                starts_at=start,
                duration_minutes=60,
            )
        except Conflict as exc:
            return f"409 {exc.code}"
        return "201"

    return call


def bench_race(racers: int, connections_allowed: int) -> tuple[dict[str, int], float, float]:
    from collections import Counter

    tutors, learners = make_people(racers, racers, "b")
    subject_id = tutors[0].teaching_subjects.get().subject_id
    # Baseline: as many requests on as many threads, none in conflict (one tutor each).
    free = [
        request_outcome(learner, tutor, subject_id, tomorrow_at(10))
        for learner, tutor in zip(learners, tutors, strict=True)
    ]
    free_outcomes, free_wall = race(free, connections_allowed)
    assert set(free_outcomes) == {"201"}, Counter(free_outcomes)
    clear_bookings()
    # The race: every learner wants the first tutor's 10:00 (half of them 10:30) tomorrow.
    slot = tomorrow_at(10)
    contested = [
        request_outcome(learner, tutors[0], subject_id, slot + timedelta(minutes=30 * (i % 2)))
        for i, learner in enumerate(learners)
    ]
    outcomes, wall = race(contested, connections_allowed)
    clear_bookings()
    return dict(Counter(outcomes)), wall, free_wall


# --- (c) slot computation ----------------------------------------------------------------------

SLOT_NOW = datetime(2030, 1, 7, 0, 0, tzinfo=UTC)  # a Monday; bookings fill the 8 weeks after


def seed_busy_tutor(total: int) -> Any:
    """A tutor with ``total`` half-hour bookings, about 18 a day at :00 from 00:00 UTC on,
    over the 8-week horizon (each of 18 learners takes one hour of the day)."""
    from peerlearn.scheduling.models import Booking, TimeClaim, TutorPolicy

    tutors, learners = make_people(1, 18, "c")
    tutor = tutors[0]
    TutorPolicy.objects.filter(user=tutor).update(buffer_after_minutes=10)
    subject_id = tutor.teaching_subjects.get().subject_id
    slots = [
        (SLOT_NOW + timedelta(days=day, hours=hour), learners[hour])
        for day in range(56)
        for hour in range(18)
    ][:total]
    bookings = Booking.objects.bulk_create(
        Booking(
            tutor=tutor,
            subject_id=subject_id,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            status=Booking.Status.CONFIRMED,
            created_by=learner,
            sequence=1,
        )
        for start, learner in slots
    )
    claims = []
    for booking, (start, learner) in zip(bookings, slots, strict=True):
        claims.append(
            TimeClaim(
                booking=booking,
                user=tutor,
                role="tutor",
                starts_at=start,
                ends_at=booking.ends_at + timedelta(minutes=10),
            )
        )
        claims.append(
            TimeClaim(
                booking=booking,
                user=learner,
                role="learner",
                starts_at=start,
                ends_at=booking.ends_at,
            )
        )
    TimeClaim.objects.bulk_create(claims)
    return tutor


def bare_candidates(now: datetime, duration_minutes: int) -> list[datetime]:
    """The candidate starts bookable_slots walks (every half hour inside 00:00-23:30 each day
    of the horizon), generated with no data and no checks."""
    tz = ZoneInfo("UTC")
    duration = timedelta(minutes=duration_minutes)
    end = now + timedelta(weeks=8)
    starts = []
    day = now.date()
    while day <= end.date():
        window_start = datetime.combine(day, clock(0, 0), tz)
        window_end = datetime.combine(day, clock(23, 30), tz)
        cursor = window_start
        while cursor + duration <= window_end:
            if now <= cursor and cursor + duration <= end:
                starts.append(cursor)
            cursor += timedelta(minutes=30)
        day += timedelta(days=1)
    return starts


def medians_ms(actions: dict[str, Callable[[], object]], calls: int) -> dict[str, float]:
    """Median milliseconds per call of each action; the actions take turns, so a change in
    machine load affects them alike."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for action in actions.values():
        action()  # warm-up
    for _ in range(calls):
        for name, action in actions.items():
            began = time.perf_counter()
            action()
            samples[name].append((time.perf_counter() - began) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def bench_slots(calls: int) -> list[tuple[str, float, str, float]]:
    from peerlearn.scheduling import selectors
    from peerlearn.scheduling.models import Booking, TimeClaim

    tutor = seed_busy_tutor(1000)
    assert Booking.objects.filter(tutor=tutor).count() == 1000
    slots = selectors.bookable_slots(tutor=tutor, duration_minutes=60, now=SLOT_NOW)
    candidates = bare_candidates(SLOT_NOW, 60)
    print(f"    (slot computation: {len(candidates)} candidate starts, {len(slots)} bookable)")

    ms = medians_ms(
        {
            "bare": lambda: bare_candidates(SLOT_NOW, 60),
            "fetch": lambda: list(
                TimeClaim.objects.filter(user=tutor, active=True).values_list(
                    "starts_at", "ends_at"
                )
            ),
            "full": lambda: selectors.bookable_slots(
                tutor=tutor, duration_minutes=60, now=SLOT_NOW
            ),
        },
        calls,
    )
    bare, fetch, full = ms["bare"], ms["fetch"], ms["full"]
    return [
        ("bare Python candidate starts (baseline)", bare, "ms/call", 1.0),
        ("fetch the tutor's 1,000 claims (ORM)", fetch, "ms/call", fetch / bare),
        ("selectors.bookable_slots, 8 weeks", full, "ms/call", full / bare),
    ]


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bookings", type=int, default=150, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--racers", type=int, default=200)
    parser.add_argument("--connections", type=int, default=80)
    parser.add_argument("--slot-calls", type=int, default=30)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/booking.py needs DATABASE_URL=postgres://... (a PostgreSQL server)")

    name = f"peerlearn_bench_{os.getpid()}"
    began = time.perf_counter()
    with private_database(database_url, name) as url:
        setup_django(url)
        print(f"{'measurement':44} {'value':>10} {'unit':12} {'ratio':>8}")
        rows = bench_throughput(args.bookings, args.rounds)
        for label, value, unit, ratio in rows:
            print(f"{label:44} {value:10.1f} {unit:12} {ratio:8.3f}")

        outcomes, wall, free_wall = bench_race(args.racers, args.connections)
        wins = outcomes.get("201", 0)
        losses = sum(v for k, v in outcomes.items() if k.startswith("409"))
        errors = {k: v for k, v in outcomes.items() if not k.startswith(("201", "409"))}
        print(
            f"{f'{args.racers} non-conflicting requests (baseline)':44} "
            f"{free_wall * 1000:10.0f} {'ms wall':12} {1.0:8.3f}"
        )
        print(
            f"{f'{args.racers} requests racing for one slot':44} "
            f"{wall * 1000:10.0f} {'ms wall':12} {wall / free_wall:8.3f}"
        )
        print(f"    successes {wins} (must be 1), 409s {losses} {sorted(outcomes.items())}")
        if errors:
            print(f"    ERRORS: {errors}")

        for label, value, unit, ratio in bench_slots(args.slot_calls):
            print(f"{label:44} {value:10.2f} {unit:12} {ratio:8.1f}")
        print(f"total {time.perf_counter() - began:.1f} s")
        if wins != 1 or errors:
            sys.exit(1)


if __name__ == "__main__":
    main()
