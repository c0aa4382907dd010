"""Task workers that can die: recovering tasks a dead worker left "running".

django-tasks-db claims a task by locking its row (``SELECT … FOR UPDATE SKIP LOCKED``), setting
it RUNNING with the worker's id, and committing; the row lock ends there. A worker killed after
that (kill -9, OOM, a lost host) leaves the task RUNNING for ever, and nothing else runs it.

The fix is a liveness lock: ``manage.py task_worker`` (db_worker plus this) holds a PostgreSQL
session advisory lock named after its worker id on a connection of its own for as long as it
lives. PostgreSQL drops that lock the moment the process or its connection dies, so
``requeue_stale_tasks`` (a periodic job, every minute) can tell without timeouts or guesses:
a RUNNING task whose worker's lock can be taken belongs to a dead worker and goes back to READY,
and another worker runs it. Tasks must therefore tolerate running again (they do: each checks
the state it changes, e.g. judge_submission resumes a submission left "judging").

On SQLite (``make run``) there is one local worker and no advisory lock; a starting worker puts
back whatever a previous run left RUNNING.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from typing import Any

from django.db import connection, transaction
from django.tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)
LOCK_NAMESPACE = "peerlearn-task-worker:"
CHECK_SECONDS = 10.0


def unique_worker_id(base: str | None) -> str:
    """A worker id unique to this process (a restarted worker must not look like the dead one),
    at most the 64 characters django-tasks-db allows."""
    suffix = f"{os.getpid()}-{secrets.token_hex(3)}"
    prefix = (base or socket.gethostname())[: 63 - len(suffix)]
    return f"{prefix}-{suffix}"


def _lock_sql() -> str:
    return "SELECT pg_advisory_lock(hashtext(%s))"


class LivenessLock:
    """The advisory lock a live worker holds, on its own connection (outside the pool).

    A thread checks the connection every CHECK_SECONDS; if PostgreSQL dropped it (a restart),
    it reconnects and takes the lock again. Until then a task of this worker may be requeued
    and run twice, which tasks tolerate.
    """

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._conn: Any = None
        self._thread = threading.Thread(target=self._watch, name="liveness-lock", daemon=True)

    def start(self) -> None:
        self._connect()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._conn is not None:
            self._conn.close()

    def _connect(self) -> None:
        import psycopg

        params = connection.get_connection_params()
        params.pop("pool", None)
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("server_side_binding", None)
        self._conn = psycopg.connect(**params, autocommit=True)
        self._conn.execute(_lock_sql(), [LOCK_NAMESPACE + self.worker_id])

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_SECONDS):
            try:
                self._conn.execute("SELECT 1")
            except Exception:
                logger.warning("worker %s lost its liveness lock; taking it again", self.worker_id)
                try:
                    self._connect()
                except Exception:
                    logger.exception("worker %s could not take its liveness lock", self.worker_id)


def requeue_stale_tasks() -> int:
    """Put RUNNING tasks whose worker is gone back to READY; returns how many.

    PostgreSQL only (on SQLite see requeue_all_running). Row locks (SKIP LOCKED) keep two
    concurrent runs of this job from touching the same task.
    """
    if connection.vendor != "postgresql":
        return 0
    requeued = 0
    with transaction.atomic():
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).select_for_update(
            skip_locked=True
        )
        with connection.cursor() as cursor:
            for task in running:
                worker = task.worker_ids[-1] if task.worker_ids else ""
                # Transaction-level: released when this job commits; taken only if no live
                # worker holds it, i.e. the task's worker is dead.
                cursor.execute(
                    "SELECT pg_try_advisory_xact_lock(hashtext(%s))", [LOCK_NAMESPACE + worker]
                )
                if not cursor.fetchone()[0]:
                    continue
                _back_to_ready(task)
                requeued += 1
    return requeued


def requeue_all_running() -> int:
    """SQLite's single local worker: anything RUNNING when it starts was left by a dead run."""
    count = 0
    with transaction.atomic():
        for task in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
            _back_to_ready(task)
            count += 1
    return count


def _back_to_ready(task: DBTaskResult) -> None:
    logger.warning(
        "requeueing task %s (%s): its worker %s is gone",
        task.id,
        task.task_path,
        task.worker_ids[-1] if task.worker_ids else "?",
    )
    task.status = TaskResultStatus.READY
    task.started_at = None
    task.save(update_fields=["status", "started_at"])
