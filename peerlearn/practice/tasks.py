"""Background work for practice: judging runs in the task worker, never in the web process."""

from __future__ import annotations

from django.tasks import TaskContext, task

from . import services


@task(takes_context=True)
def judge_submission(context: TaskContext, submission_id: int) -> str:
    # A second worker id means a worker died running this task and it was requeued
    # (peerlearn.common.workers): the submission it left "judging" is judged again.
    resumed = len(context.task_result.worker_ids) > 1
    submission = services.judge_submission(submission_id, resume=resumed)
    return submission.verdict if submission else "already judged"
