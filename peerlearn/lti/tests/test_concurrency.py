"""Races, on real connections (``common.testing.race``): two first launches of the same person
make one account; two workers sending the same score send it once."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from django.test import Client
from lti_tool.models import LtiUser

from peerlearn.accounts.models import User
from peerlearn.common.testing import race
from peerlearn.lti import services
from peerlearn.lti.models import ScoreReport
from peerlearn.practice.models import Problem
from peerlearn.practice.tests.factories import ADD_RIGHT

from .helpers import authorized, person
from .platform import Platform
from .test_grades import graded, submit

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["graded"]  # the fixture, used here too


def test_two_first_launches_at_once_make_one_account(platform: Platform) -> None:
    course = platform.course("c1", "Course", [person(1)])
    claims = platform.resource_launch(person(1), course)
    browsers = [Client(), Client()]
    forms = [authorized(browser, platform, dict(claims)) for browser in browsers]

    def post(browser: Client, form: dict[str, str]) -> int:
        return int(browser.post("/lti/launch/", form).status_code)

    statuses = race([partial(post, b, f) for b, f in zip(browsers, forms, strict=True)])
    assert sorted(int(str(s)) for s in statuses) in ([302, 302], [302, 409])
    user = User.objects.get()
    assert LtiUser.objects.get().auth_user == user


def test_two_workers_sending_one_score_send_it_once(
    platform: Platform, graded: tuple[User, Problem], django_capture_on_commit_callbacks: Any
) -> None:
    user, problem = graded
    platform.fail_scores = 1  # the first send fails: the report waits for its retry
    submit(user, problem, ADD_RIGHT, django_capture_on_commit_callbacks)
    report = ScoreReport.objects.get()
    assert report.status == ScoreReport.Status.PENDING
    outcomes = race([lambda: services.score_send(report_id=report.pk)] * 2)
    assert outcomes == [ScoreReport.Status.SENT] * 2
    assert [s["scoreGiven"] for s in platform.scores] == [100]
