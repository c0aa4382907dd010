"""Every practice list (the problem bank, the sessions page and lobby, my sessions, progress,
my submissions of a problem; pages and API) costs the same number of queries with a few rows
and with fifty more."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from peerlearn.common.testing import make_user
from peerlearn.common.tests.querycounts import MANY, assert_flat, logged_in
from peerlearn.practice import services
from peerlearn.practice.models import PracticeSession, Solve, Submission

from .factories import ADD_RIGHT, make_add_problem

pytestmark = pytest.mark.django_db


def test_the_practice_lists_do_not_grow_with_the_rows() -> None:
    viewer = make_user(display_name="Vera")
    first = make_add_problem("first-problem")
    numbers = itertools.count()

    def add(n: int) -> None:
        for _ in range(n):
            i = next(numbers)
            problem = make_add_problem(f"problem-{i}", topics=["math", f"topic-{i % 5}"])
            for solved in (problem, first):
                submission = Submission.objects.create(
                    user=viewer,
                    problem=solved,
                    language="python",
                    code=ADD_RIGHT,
                    mode=Submission.Mode.SUBMIT,
                    status=Submission.Status.DONE,
                    verdict=Submission.Verdict.ACCEPTED,
                    passed=3,
                    total=3,
                    finished_at=timezone.now(),
                )
            Solve.objects.create(
                user=viewer, problem=problem, submission=submission, solved_at=timezone.now()
            )
            host, guest = make_user(), make_user()
            services.session_create(actor=host, problem=problem, visibility="public")
            PracticeSession.objects.create(
                problem=problem,
                host=viewer if i % 2 else guest,
                guest=guest if i % 2 else viewer,
                visibility="public",
                status=PracticeSession.Status.ENDED,
            )

    add(3)
    client = logged_in(viewer)
    api = "/api/v1/practice"
    urls = [
        reverse("practice:problems"),
        reverse("practice:problems") + "?status=solved&difficulty=easy",
        reverse("practice:sessions"),
        reverse("practice:lobby"),
        reverse("practice:progress"),
        f"{api}/problems",
        f"{api}/problems?topic=math",
        f"{api}/problems/{first.slug}/draft",
        f"{api}/sessions",
        f"{api}/sessions/mine",
        f"{api}/progress",
    ]

    assert_flat([(client, url) for url in urls], lambda: add(MANY))
