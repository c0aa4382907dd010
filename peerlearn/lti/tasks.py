"""Background work for LTI: roster sync (NRPS) and score passback (AGS). Both are idempotent:
a retried or duplicated task changes nothing more."""

from __future__ import annotations

from django.tasks import task

from . import services


@task()
def sync_roster(course_id: int) -> list[int]:
    added, removed = services.roster_sync(course_id=course_id)
    return [added, removed]


@task()
def queue_scores(submission_id: int) -> list[int]:
    return services.scores_queue(submission_id=submission_id)


@task()
def send_score(report_id: int) -> str:
    return services.score_send(report_id=report_id)
