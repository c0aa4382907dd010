"""Judging happens in the task worker, not in the web request: with the real database task
backend, a submission waits as a queued task until ``manage.py db_worker`` runs it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from peerlearn.common.testing import make_user
from peerlearn.practice import services
from peerlearn.practice.models import Submission

from .factories import ADD_RIGHT, make_add_problem, require_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_judges_what_the_web_process_queued(settings) -> None:
    require_sandbox()
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }

    submission = services.submission_create(
        actor=make_user(),
        problem=make_add_problem(),
        language="python",
        code=ADD_RIGHT,
        mode="submit",
    )
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED
    assert (
        DBTaskResult.objects.filter(task_path="peerlearn.practice.tasks.judge_submission").count()
        == 1
    )
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.DONE and submission.verdict == "accepted"
