"""What other apps tell the LTI app. Each function enqueues a task once the caller's
transaction commits (nothing happens for a rolled-back change).

- ``submission_judged(submission_id)``: from ``practice.services._finish`` for every judged
  Submit; a learner who launched that problem from a graded LMS link gets their best score
  sent to the gradebook (``services.scores_queue``)."""

from __future__ import annotations

from django.db import transaction


def submission_judged(submission_id: int) -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.queue_scores.enqueue(submission_id))
