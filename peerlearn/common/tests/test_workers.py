"""A task worker killed mid-task: its task is run by another worker (peerlearn.common.workers).

Real processes on PostgreSQL: two ``manage.py task_worker`` processes and bubblewrap judging a
practice submission; the first worker is killed with SIGKILL while the submission is "judging".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from conftest import require
from peerlearn.common.testing import make_user
from peerlearn.common.workers import requeue_all_running, requeue_stale_tasks
from peerlearn.practice import services
from peerlearn.practice.models import Submission
from peerlearn.practice.tests.factories import make_add_problem, require_sandbox

pytestmark = pytest.mark.django_db(transaction=True)

# Right answers, slowly: the worker is killed while the judge is still on the first test.
SLOW_RIGHT = "import time\n\ndef add_numbers(a, b):\n    time.sleep(2)\n    return a + b\n"


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(name: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "DB_POOL_MAX": "2"}
    env.pop("REDIS_URL", None)  # the worker needs only the database here
    return subprocess.Popen(
        [sys.executable, "manage.py", "task_worker", "--no-reload", f"--worker-id={name}"],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # killpg reaches the judge's sandbox too
    )


def _wait(predicate, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_killed_workers_submission_is_judged_by_another_worker(settings, tmp_path) -> None:
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    require_sandbox()
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    problem = make_add_problem()
    problem.time_limit_ms = 10_000
    problem.save(update_fields=["time_limit_ms"])
    submission = services.submission_create(
        actor=make_user(), problem=problem, language="python", code=SLOW_RIGHT, mode="submit"
    )
    task = DBTaskResult.objects.get(task_path="peerlearn.practice.tasks.judge_submission")

    first = _start_worker("first", tmp_path / "first.log")
    second = None
    try:
        _wait(
            lambda: Submission.objects.filter(
                pk=submission.pk, status=Submission.Status.RUNNING
            ).exists(),
            "the first worker to start judging",
        )
        task.refresh_from_db()
        assert task.status == TaskResultStatus.RUNNING
        assert task.worker_ids[-1].startswith("first-")
        assert requeue_stale_tasks() == 0  # its worker is alive: the task stays with it

        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        second = _start_worker("second", tmp_path / "second.log")
        # PostgreSQL frees the dead worker's lock as soon as it sees the connection close.
        assert _wait(requeue_stale_tasks, "the dead worker's task to be requeued", 30) == 1
        call_command("requeue_stale_tasks")  # the periodic job: nothing left to requeue

        _wait(
            lambda: Submission.objects.filter(
                pk=submission.pk, status=Submission.Status.DONE
            ).exists(),
            "the second worker to judge the submission",
        )
    finally:
        _stop(first)
        if second is not None:
            _stop(second)
    submission.refresh_from_db()
    assert submission.verdict == Submission.Verdict.ACCEPTED, submission.results
    assert submission.tests_done == submission.total == submission.passed
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert [w.split("-")[0] for w in task.worker_ids] == ["first", "second"]
    assert not Submission.objects.filter(status=Submission.Status.RUNNING).exists()


def test_a_starting_sqlite_worker_takes_back_what_a_dead_run_left_running(settings) -> None:
    """SQLite's single local worker (make run) has no liveness lock to check."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    problem = make_add_problem()
    services.submission_create(
        actor=make_user(), problem=problem, language="python", code=SLOW_RIGHT, mode="submit"
    )
    task = DBTaskResult.objects.get()
    task.claim("a-worker-that-died")

    assert requeue_all_running() == 1
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY
