"""Background work for practice: judging runs in the task worker, never in the web process."""

from __future__ import annotations

from django.tasks import task

from . import services


@task()
def judge_submission(submission_id: int) -> str:
    submission = services.judge_submission(submission_id)
    return submission.verdict if submission else "already judged"
