"""Cross-app hooks (peerlearn.common.hooks): handlers run once the publisher's transaction
commits, never for a rolled-back change, at once when asked; and the apps above subscribe to
the events of the apps below."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import transaction

from peerlearn.common import hooks


@dataclass(frozen=True)
class Happened(hooks.Event):
    n: int


@pytest.fixture
def heard() -> Iterator[list[int]]:
    got: list[int] = []

    def handler(event: Happened) -> None:
        got.append(event.n)

    hooks.subscribe(Happened, handler)
    hooks.subscribe(Happened, handler)  # once only
    yield got
    hooks.unsubscribe(Happened, handler)
    assert hooks.subscribers(Happened) == ()


@pytest.mark.django_db
def test_handlers_run_on_commit(heard: list[int], django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        hooks.publish(Happened(1))
        assert heard == []
    assert heard == [1]


@pytest.mark.django_db
def test_nothing_runs_for_a_rolled_back_change(
    heard: list[int], django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                hooks.publish(Happened(2))
                raise RuntimeError
        except RuntimeError:
            pass
    assert heard == []


@pytest.mark.django_db
def test_on_commit_false_runs_at_once(heard: list[int]) -> None:
    with transaction.atomic():
        hooks.publish(Happened(3), on_commit=False)
        assert heard == [3]


def test_apps_above_subscribe_to_the_apps_below() -> None:
    from peerlearn.forum.hooks import AnswerAccepted, UpvoteGiven
    from peerlearn.practice.hooks import ProblemSolved, SubmitAccepted, SubmitJudged
    from peerlearn.reviews.hooks import ReviewSubmitted, TutorReviewRevealed
    from peerlearn.scheduling.hooks import BookingCompleted

    def apps(event_type: type[hooks.Event]) -> list[str]:
        return [h.__module__ for h in hooks.subscribers(event_type)]

    assert apps(BookingCompleted) == ["peerlearn.reviews.services", "peerlearn.gamification.events"]
    assert apps(SubmitJudged) == ["peerlearn.matching.partners.events", "peerlearn.lti.events"]
    for event_type in (
        ProblemSolved,
        SubmitAccepted,
        ReviewSubmitted,
        TutorReviewRevealed,
        AnswerAccepted,
        UpvoteGiven,
    ):
        assert apps(event_type) == ["peerlearn.gamification.events"]
