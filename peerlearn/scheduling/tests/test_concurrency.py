"""No double booking under real concurrency: many clients, each on its own thread and database
connection, race for the same and for overlapping times.

On PostgreSQL the exclusion constraint on ``scheduling_timeclaim`` (migration 0002) is the final
word, so these tests also bypass the ORM. On SQLite the services serialize writes
(``BEGIN IMMEDIATE``) and re-check overlap inside the transaction; the last test races threads
there too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend
from django.test import Client

from conftest import require
from peerlearn.accounts.models import User
from peerlearn.common.errors import Conflict
from peerlearn.common.testing import connect_patiently, make_subject, make_tutor, make_user
from peerlearn.scheduling import services
from peerlearn.scheduling.models import Booking, TimeClaim

pytestmark = pytest.mark.django_db(transaction=True)

# The codes a loser of a race may see: the slot check saw the winner's claim ("slot_unavailable")
# or the overlap re-check / exclusion constraint refused the claim ("overlap").
LOSING_CODES = {"overlap", "slot_unavailable"}
CONNECT_PATIENCE_SECONDS = 60
BARRIER_TIMEOUT_SECONDS = 90
JOIN_TIMEOUT_SECONDS = 180

OVERLAPPING_ACTIVE_CLAIMS_SQL = """
SELECT a.user_id, a.booking_id, b.booking_id
FROM scheduling_timeclaim a
JOIN scheduling_timeclaim b
  ON a.user_id = b.user_id AND a.id < b.id
 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
WHERE a.active AND b.active
"""


def overlapping_active_claims() -> list[tuple[int, int, int]]:
    """(user, booking, booking) for every pair of one user's active claims that overlap."""
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPPING_ACTIVE_CLAIMS_SQL)
        return [tuple(row) for row in cursor.fetchall()]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Dozens of accounts per test: hashing their passwords with Argon2 would dominate."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def postgres() -> None:
    require(connection.vendor == "postgresql", "PostgreSQL")


def first_slot(days_ahead: int = 3) -> datetime:
    """10:00 UTC a few days from now: inside the default 09:00-17:00 availability, past the 12 h
    notice and inside the 8-week horizon, whatever day the suite runs."""
    day = datetime.now(UTC) + timedelta(days=days_ahead)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


@dataclass
class Outcome:
    booking_id: int | None = None
    status: int | None = None  # HTTP status, for clients going through the API
    code: str = ""
    error: BaseException | None = None


def race(
    calls: list[Callable[[], Outcome]], *, settings_dict: dict[str, Any] | None = None
) -> list[Outcome]:
    """Run every call on its own thread and connection, released together by a barrier
    (``settings_dict``: connect to that database instead of the default's)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome] = [Outcome(error=RuntimeError("did not finish")) for _ in calls]

    def run(index: int, call: Callable[[], Outcome]) -> None:
        try:
            if settings_dict is not None:
                use_database(settings_dict)
            connect_patiently(CONNECT_PATIENCE_SECONDS)  # first: the race is on the queries
            barrier.wait(timeout=BARRIER_TIMEOUT_SECONDS)
            outcomes[index] = call()
        except BaseException as exc:
            outcomes[index] = Outcome(error=exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT_SECONDS)
    assert not any(t.is_alive() for t in threads), "a client hung"
    return outcomes


def request_call(
    learner: User, tutor: User, start: datetime, minutes: int = 60
) -> Callable[[], Outcome]:
    subject_id = tutor.teaching_subjects.get().subject_id

    def call() -> Outcome:
        try:
            booking = services.booking_request(
                actor=learner,
                tutor_id=tutor.pk,
                subject_id=subject_id,
                starts_at=start,
                duration_minutes=minutes,
            )
        except Conflict as exc:
            return Outcome(code=exc.code)
        return Outcome(booking_id=booking.pk)

    return call


def assert_one_winner(outcomes: list[Outcome]) -> Outcome:
    errors = [o.error for o in outcomes if o.error is not None]
    assert not errors, f"unexpected errors: {errors[:3]!r}"
    winners = [o for o in outcomes if o.booking_id is not None]
    assert len(winners) == 1, f"{len(winners)} winners"
    losing = Counter(o.code for o in outcomes if o.booking_id is None)
    assert set(losing) <= LOSING_CODES, losing
    assert sum(losing.values()) == len(outcomes) - 1
    return winners[0]


class TestRacesOnPostgres:
    def test_fifty_five_clients_racing_for_one_tutors_overlapping_slots_get_one_booking(
        self, postgres: None
    ) -> None:
        tutor = make_tutor(display_name="Tara")
        ten, half_past = first_slot(), first_slot() + timedelta(minutes=30)
        calls = [request_call(make_user(), tutor, ten) for _ in range(30)]
        calls += [request_call(make_user(), tutor, half_past) for _ in range(25)]

        winner = assert_one_winner(race(calls))

        booking = Booking.objects.get()
        assert booking.pk == winner.booking_id and booking.status == Booking.Status.REQUESTED
        assert booking.starts_at in {ten, half_past}
        assert TimeClaim.objects.filter(active=True).count() == 2  # the tutor's and the learner's
        assert overlapping_active_claims() == []

    def test_a_learner_racing_for_several_tutors_at_once_gets_one_of_them(
        self, postgres: None
    ) -> None:
        """Five learners each ask ten tutors at overlapping times (10:00 and 10:30), all at
        once: 50 clients (PostgreSQL allows 100 connections by default). Each learner's
        requests conflict only among themselves (every learner uses their own day, so the
        tutors' calendars do not link the sets)."""
        subject = make_subject("Racing")
        tutors = [make_tutor(display_name=f"Tutor {i}", subject=subject) for i in range(10)]
        learners = [make_user(display_name=f"Learner {i}") for i in range(5)]
        calls = []
        for day, learner in enumerate(learners):
            base = first_slot(days_ahead=3 + day)
            for i, tutor in enumerate(tutors):
                calls.append(request_call(learner, tutor, base + timedelta(minutes=30 * (i % 2))))

        outcomes = race(calls)

        for index, learner in enumerate(learners):
            assert_one_winner(outcomes[index * len(tutors) : (index + 1) * len(tutors)])
            assert TimeClaim.objects.filter(user=learner, active=True).count() == 1
        assert Booking.objects.count() == len(learners)
        assert overlapping_active_claims() == []

    def test_tutors_booking_each_other_crosswise_never_fail_with_a_server_error(
        self, postgres: None
    ) -> None:
        """A tutor can also be a learner. Pairs of tutors each ask the other for the same hour
        at the same moment: one request of each pair wins; the other must get a Conflict, not a
        deadlock error (the two transactions claim the same two people in opposite order)."""
        subject = make_subject("Crosswise")
        pairs = [
            (
                make_tutor(display_name=f"A{i}", subject=subject),
                make_tutor(display_name=f"B{i}", subject=subject),
            )
            for i in range(25)
        ]
        start = first_slot()
        calls = []
        for a, b in pairs:
            calls += [request_call(a, b, start), request_call(b, a, start)]

        outcomes = race(calls)

        for i in range(len(pairs)):
            assert_one_winner(outcomes[2 * i : 2 * i + 2])
        assert overlapping_active_claims() == []

    def test_fifty_api_clients_get_one_201_and_409s_never_a_500(self, postgres: None) -> None:
        tutor = make_tutor(display_name="Tara")
        subject_id = tutor.teaching_subjects.get().subject_id
        start = first_slot()
        learners = [make_user() for _ in range(50)]

        def api_call(learner: User, starts_at: datetime) -> Callable[[], Outcome]:
            client = Client()
            client.force_login(learner)
            body = json.dumps(
                {
                    "tutor_id": tutor.pk,
                    "subject_id": subject_id,
                    "starts_at": starts_at.isoformat(),
                    "duration_minutes": 60,
                    "note": "race",
                }
            )

            def call() -> Outcome:
                response = client.post("/api/v1/bookings", body, content_type="application/json")
                data = response.json()
                if response.status_code == 201:
                    return Outcome(status=201, booking_id=data["id"])
                return Outcome(status=response.status_code, code=data["error"]["code"])

            return call

        calls = [
            api_call(learner, start + timedelta(minutes=30 * (i % 2)))
            for i, learner in enumerate(learners)
        ]
        outcomes = race(calls)

        assert not [o.error for o in outcomes if o.error is not None]
        statuses = Counter(o.status for o in outcomes)
        assert statuses == {201: 1, 409: 49}, statuses
        assert {o.code for o in outcomes if o.status == 409} <= LOSING_CODES
        assert Booking.objects.count() == 1
        assert overlapping_active_claims() == []


class TestTheConstraintItself:
    """The exclusion constraint holds for any writer, not only for the services."""

    @pytest.fixture
    def claimed(self, postgres: None) -> tuple[Booking, User]:
        tutor, learner = make_tutor(), make_user()
        booking = services.booking_request(
            actor=learner,
            tutor_id=tutor.pk,
            subject_id=tutor.teaching_subjects.get().subject_id,
            starts_at=first_slot(),
            duration_minutes=60,
        )
        return booking, learner

    def insert_claim(
        self, booking: Booking, user: User, start: datetime, end: datetime, *, active: bool = True
    ) -> None:
        """Another booking's claim for ``user``, written in raw SQL (no ORM, no service)."""
        other = Booking.objects.create(
            tutor=booking.tutor,
            subject=booking.subject,
            starts_at=start,
            ends_at=end,
            created_by=user,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO scheduling_timeclaim "
                "(booking_id, user_id, role, starts_at, ends_at, active, created_at) "
                "VALUES (%s, %s, 'learner', %s, %s, %s, now())",
                [other.pk, user.pk, start, end, active],
            )

    def test_a_raw_sql_insert_overlapping_an_active_claim_is_rejected(
        self, claimed: tuple[Booking, User]
    ) -> None:
        booking, learner = claimed
        with pytest.raises(IntegrityError, match="timeclaim_no_overlap"), transaction.atomic():
            self.insert_claim(
                booking,
                learner,
                booking.starts_at + timedelta(minutes=59),
                booking.ends_at + timedelta(hours=1),
            )
        assert overlapping_active_claims() == []

    def test_touching_or_inactive_claims_are_allowed(self, claimed: tuple[Booking, User]) -> None:
        booking, learner = claimed
        # Half-open ranges: a claim may start exactly when the other ends.
        self.insert_claim(booking, learner, booking.ends_at, booking.ends_at + timedelta(hours=1))
        # Released claims (declined or cancelled bookings) do not count.
        self.insert_claim(booking, learner, booking.starts_at, booking.ends_at, active=False)
        assert TimeClaim.objects.filter(user=learner).count() == 3
        assert overlapping_active_claims() == []

    def test_reactivating_an_overlapping_claim_in_raw_sql_is_rejected(
        self, claimed: tuple[Booking, User]
    ) -> None:
        booking, learner = claimed
        self.insert_claim(booking, learner, booking.starts_at, booking.ends_at, active=False)
        with (
            pytest.raises(IntegrityError, match="timeclaim_no_overlap"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE scheduling_timeclaim SET active = true")


@pytest.fixture
def sqlite_file_database(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The settings of a file-based copy of the SQLite test database, in use by this thread.

    pytest-django's SQLite test database lives in memory with a shared cache. There SQLite
    locks per table and answers a second writer with "database table is locked" at once
    instead of queueing it, so production's behaviour (a file in WAL mode, writers queued by
    BEGIN IMMEDIATE and the busy timeout) cannot be raced on it. So the test runs on a file
    copy of it (schema and all), swapped in for this thread and every racing thread.
    """
    if connection.vendor != "sqlite":
        pytest.skip(f"SQLite only (this run is on {connection.vendor})")
    if not is_in_memory(connection):
        yield connection.settings_dict
        return
    in_memory = connections[DEFAULT_DB_ALIAS]
    in_memory.ensure_connection()
    path = tmp_path / "race.sqlite3"
    with closing(sqlite3.connect(path)) as target:
        in_memory.connection.backup(target)
    settings_dict = {**in_memory.settings_dict, "NAME": str(path)}
    on_file = use_database(settings_dict)
    try:
        yield settings_dict
    finally:
        on_file.close()
        connections[DEFAULT_DB_ALIAS] = in_memory  # still open: the in-memory database lives on


def is_in_memory(wrapper: Any) -> bool:
    return bool(wrapper.is_in_memory_db())


def use_database(settings_dict: dict[str, Any]) -> BaseDatabaseWrapper:
    """Point this thread's default connection at ``settings_dict``."""
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = wrapper
    return wrapper


def test_sqlite_serialized_recheck_refuses_overlaps_from_many_threads(
    sqlite_file_database: dict[str, Any],
) -> None:
    """20 threads, each on its own connection to one SQLite file, race for one tutor's
    overlapping slots: BEGIN IMMEDIATE queues the write transactions and the overlap re-check
    inside each refuses all but the first."""
    assert not is_in_memory(connection)
    tutor = make_tutor(display_name="Tara")
    start = first_slot()
    calls = [
        request_call(make_user(), tutor, start + timedelta(minutes=30 * (i % 2))) for i in range(20)
    ]

    assert_one_winner(race(calls, settings_dict=sqlite_file_database))

    assert Booking.objects.count() == 1
    assert overlapping_active_claims() == []
