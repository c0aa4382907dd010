"""What other apps tell practice partners, and the events of the partner socket.

- ``submission_judged(submission_id)``: for practice's ``SubmitJudged`` hook, when a Submit
  finishes judging (``on_submit_judged``, subscribed in ``PracticePartnersConfig.ready``). On
  commit it enqueues ``tasks.rate_submission``, which updates the submitter's topic ratings
  once (idempotent: a retried task or a second call changes nothing).

Events go to ``partners.user.<id>`` over ``/ws/practice/partners/``
(``consumers.PartnerQueueConsumer``)."""

from __future__ import annotations

from typing import Literal, TypedDict

from django.db import transaction

from peerlearn.practice.hooks import SubmitJudged


def user_group(user_id: int) -> str:
    return f"partners.user.{user_id}"


class MatchedEvent(TypedDict):
    type: Literal["matched"]
    request: int
    url: str
    partner: str


class QueueEvent(TypedDict):
    """The queue of the user's topic and difficulty changed (their place may have moved)."""

    type: Literal["queue"]


def submission_judged(submission_id: int) -> None:
    """A submission finished judging: rate it (Submits only) once the caller commits."""
    from . import tasks

    transaction.on_commit(lambda: tasks.rate_submission.enqueue(submission_id))


def on_submit_judged(event: SubmitJudged) -> None:
    submission_judged(event.submission_id)
