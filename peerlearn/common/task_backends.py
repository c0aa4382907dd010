"""A task backend for tests: runs tasks at once (raising their errors, unlike Django's
ImmediateBackend, which records them silently) and keeps deferred tasks (``run_after`` in the
future) until a test runs them with ``run_deferred_tasks``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.tasks import task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.tasks.base import Task, TaskResult, TaskResultStatus
from django.utils import timezone


class TestTaskBackend(ImmediateBackend):
    supports_defer = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.deferred: list[TaskResult[Any, Any]] = []

    def enqueue(self, task: Task[Any, Any], args: Any, kwargs: Any) -> TaskResult[Any, Any]:
        if task.run_after is not None and task.run_after > timezone.now():
            self.validate_task(task)
            result: TaskResult[Any, Any] = TaskResult(
                task=task,
                id=f"deferred-{len(self.deferred)}",
                status=TaskResultStatus.READY,
                enqueued_at=timezone.now(),
                started_at=None,
                last_attempted_at=None,
                finished_at=None,
                args=list(args),
                kwargs=dict(kwargs),
                backend=self.alias,
                errors=[],
                worker_ids=[],
            )
            self.deferred.append(result)
            return result
        result = super().enqueue(task, args, kwargs)
        if result.status == TaskResultStatus.FAILED:
            raise RuntimeError(f"task {task.name} failed:\n{result.errors[-1].traceback}")
        return result

    def run_deferred(self, *, until: datetime) -> int:
        """Run (in run_after order) every deferred task due by ``until``; returns how many ran."""
        due = [r for r in self.deferred if r.task.run_after and r.task.run_after <= until]
        due.sort(key=lambda r: r.task.run_after or until)
        for result in due:
            self.deferred.remove(result)
            result.task.call(*result.args, **result.kwargs)
        return len(due)


def run_deferred_tasks(*, until: datetime) -> int:
    backend = task_backends["default"]
    assert isinstance(backend, TestTaskBackend), "tests use TestTaskBackend (conftest)"
    return backend.run_deferred(until=until)


def deferred_tasks() -> list[TaskResult[Any, Any]]:
    backend = task_backends["default"]
    assert isinstance(backend, TestTaskBackend)
    return list(backend.deferred)
