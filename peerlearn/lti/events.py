"""What other apps tell the LTI app. Each function enqueues a task once the caller's
transaction commits (nothing happens for a rolled-back change).

- ``submission_judged(submission_id)``: for practice's ``SubmitJudged`` hook (every judged
  Submit; ``on_submit_judged``, subscribed in ``LtiConfig.ready``); a learner who launched
  that problem from a graded LMS link gets their best score sent to the gradebook
  (``services.scores_queue``)."""

from __future__ import annotations

from django.db import transaction

from peerlearn.practice.hooks import SubmitJudged


def submission_judged(submission_id: int) -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.queue_scores.enqueue(submission_id))


def on_submit_judged(event: SubmitJudged) -> None:
    submission_judged(event.submission_id)
