"""Staff operations on practice: re-judging a submission (from the admin)."""

from __future__ import annotations

from django.db import transaction

from peerlearn.accounts.audit import audit_record
from peerlearn.accounts.models import User
from peerlearn.common.errors import Conflict, Forbidden, NotFound

from .models import Submission


def submission_rejudge(*, actor: User, submission_id: int, reason: str) -> Submission:
    """Judge a finished submission again from the start (after a judge fix or a corrected
    test set): its verdict and results are cleared and the judging task is queued. What it
    already earned (a solve, points, a rating change) stays: those are recorded once.
    A submission still queued or running is refused. Audited."""
    if not actor.has_perm("practice.change_submission"):
        raise Forbidden("Only administrators can re-judge submissions.")
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("problem")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None:
            raise NotFound("No such submission.")
        if not submission.is_finished:
            raise Conflict("It is still being judged; wait for its verdict.", code="busy")
        before = submission.verdict
        submission.status = Submission.Status.QUEUED
        submission.verdict = ""
        submission.tests_done = submission.passed = 0
        submission.results = []
        submission.error = ""
        submission.compile_output = ""
        submission.time_ms = submission.memory_kb = None
        submission.finished_at = None
        submission.save()
        audit_record(
            actor=actor,
            action="practice.rejudge",
            target=submission,
            reason=reason,
            data={"previous_verdict": before},
        )
        from .tasks import judge_submission

        transaction.on_commit(lambda: judge_submission.enqueue(submission.pk))
    return submission
