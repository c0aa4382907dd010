"""Assignment and Grade Services: a learner who opened a graded problem from the LMS gets their
best score in its gradebook after a judged Submit; a failed send is retried; nothing is sent
twice. Judging is real (the sandbox), the gradebook is the test platform over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common.task_backends import run_deferred_tasks
from peerlearn.lti import services
from peerlearn.lti.models import ScoreReport
from peerlearn.practice.models import Problem
from peerlearn.practice.services import submission_create
from peerlearn.practice.tests.factories import (
    ADD_RIGHT,
    ADD_WRONG,
    make_add_problem,
    require_sandbox,
)

from .helpers import INSTRUCTOR, launch, person
from .platform import Platform
from .test_deep_linking import place

pytestmark = pytest.mark.django_db

HALF_RIGHT = "def add_numbers(a, b):\n    return a + b if a != 0 else -1\n"  # fails (0, 0) only


@pytest.fixture
def graded(client: Client, platform: Platform) -> tuple[User, Problem]:
    """A graded problem placed in a course, opened by learner 2 from the LMS."""
    require_sandbox()
    problem = make_add_problem()
    # Everyone is on the roster (a launch may sync it: with on-commit tasks running, an empty
    # roster would remove the instructor).
    course = platform.course("c1", "Algorithms", [person(1, INSTRUCTOR), person(2)])
    item = place(
        client, platform, course, {"kind": "problem", "problem": problem.slug, "graded": "on"}
    )
    claims = platform.resource_launch(
        person(2), course, link_id="l9", custom=item["custom"], lineitem=item["lineitem_url"]
    )
    assert launch(Client(), platform, claims).response.status_code == 302
    return User.objects.get(email="student2@uni.example"), problem


def submit(user: User, problem: Problem, code: str, capture: Any) -> None:
    with capture(execute=True):
        submission_create(actor=user, problem=problem, language="python", code=code, mode="submit")


def test_the_best_score_reaches_the_gradebook_once(
    platform: Platform, graded: tuple[User, Problem], django_capture_on_commit_callbacks: Any
) -> None:
    user, problem = graded
    submit(user, problem, HALF_RIGHT, django_capture_on_commit_callbacks)
    # Judging stops at the first failed hidden test (the second of three): 1 of 3 passed.
    assert [s["scoreGiven"] for s in platform.scores] == [pytest.approx(33.33)]
    score = platform.scores[0]
    assert score["userId"] == "user-2" and score["scoreMaximum"] == 100
    assert score["gradingProgress"] == "FullyGraded"

    submit(user, problem, ADD_WRONG, django_capture_on_commit_callbacks)  # worse: nothing sent
    assert len(platform.scores) == 1
    submit(user, problem, ADD_RIGHT, django_capture_on_commit_callbacks)  # better: sent
    assert [s["scoreGiven"] for s in platform.scores] == [pytest.approx(33.33), 100]
    submit(user, problem, ADD_RIGHT, django_capture_on_commit_callbacks)  # same best: nothing
    assert len(platform.scores) == 2

    # A task run again (a retry, a duplicate) sends nothing more.
    for report in ScoreReport.objects.all():
        assert services.score_send(report_id=report.pk) == ScoreReport.Status.SENT
        assert services.scores_queue(submission_id=report.submission_id) == []
    assert len(platform.scores) == 2


def test_a_failed_send_is_retried_until_the_platform_takes_it(
    platform: Platform, graded: tuple[User, Problem], django_capture_on_commit_callbacks: Any
) -> None:
    user, problem = graded
    platform.fail_scores = 2
    submit(user, problem, ADD_RIGHT, django_capture_on_commit_callbacks)
    report = ScoreReport.objects.get()
    assert report.status == ScoreReport.Status.PENDING and report.attempts == 1
    assert platform.scores == []
    with django_capture_on_commit_callbacks(execute=True):
        run_deferred_tasks(until=timezone.now() + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        run_deferred_tasks(until=timezone.now() + timedelta(minutes=5))
    report.refresh_from_db()
    assert report.status == ScoreReport.Status.SENT and report.attempts == 3
    assert [s["scoreGiven"] for s in platform.scores] == [100]


def test_a_send_that_keeps_failing_gives_up(
    platform: Platform,
    graded: tuple[User, Problem],
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.LTI_SCORE_ATTEMPTS = 2
    user, problem = graded
    platform.fail_scores = 10
    submit(user, problem, ADD_RIGHT, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_deferred_tasks(until=timezone.now() + timedelta(hours=1))
    report = ScoreReport.objects.get()
    assert report.status == ScoreReport.Status.FAILED and report.attempts == 2
    assert "503" in report.last_error or "unavailable" in report.last_error
    assert platform.scores == []


def test_a_learner_without_a_graded_link_sends_nothing(
    client: Client, platform: Platform, django_capture_on_commit_callbacks: Any
) -> None:
    require_sandbox()
    problem = make_add_problem()
    course = platform.course("c1", "Algorithms", [])
    launch(client, platform, platform.resource_launch(person(1, INSTRUCTOR), course))
    user = User.objects.get()
    submit(user, problem, ADD_RIGHT, django_capture_on_commit_callbacks)
    assert not ScoreReport.objects.exists()
    assert platform.scores == []
