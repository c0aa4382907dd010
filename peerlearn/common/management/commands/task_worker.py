"""``manage.py task_worker``: django-tasks-db's db_worker that holds a liveness lock, so the tasks
of a worker that dies are run again by another (peerlearn.common.workers). Same options."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django_tasks_db.management.commands import db_worker

from peerlearn.common import workers
from sandbox import cgroups


class Command(db_worker.Command):
    help = "Run a background task worker (db_worker with recovery of a dead worker's tasks)"

    def handle(self, *args: Any, **options: Any) -> None:
        options["worker_id"] = workers.unique_worker_id(options.get("worker_id"))
        self.stderr.write(cgroups.describe())  # which box-level bound the judge has here
        lock = None
        if connection.vendor == "postgresql":
            lock = workers.LivenessLock(options["worker_id"])
            lock.start()
        else:
            workers.requeue_all_running()
        try:
            super().handle(*args, **options)
        finally:
            if lock is not None:
                lock.stop()
