"""Background work for practice partners: rating judged submissions, and retrying a waiting
queue entry as its rating window widens (until it is matched, leaves or expires)."""

from __future__ import annotations

from django.tasks import task

from . import services


@task()
def rate_submission(submission_id: int) -> int:
    return len(services.rating_apply_submission(submission_id))


@task()
def match_request(request_id: int) -> str:
    return services.request_retry(request_id)
