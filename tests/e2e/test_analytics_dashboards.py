"""The dashboards in a real browser with a few weeks of real data: home for a tutor, the learner's
and the tutor's dashboards, and the administrators' analytics, at 1280 and 375 px, in the light
and the dark theme. Charts must be drawn by Chart.js (served locally) with their tables beside.

Screenshots land in test-artifacts/screenshots/analytics-*.png."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from peerlearn.accounts.models import TeachingSubject, User
from peerlearn.analytics import services
from peerlearn.analytics.models import LearnerGoal
from peerlearn.analytics.tests.fixtures import (
    booking,
    event,
    institution,
    person,
    problem,
    review,
    submission,
)
from peerlearn.common.testing import PASSWORD, make_subject
from peerlearn.matching.models import Impression
from peerlearn.practice.models import Solve
from peerlearn.scheduling.models import Booking

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e

COMMENTS = [
    "Clear and patient, but we started ten minutes late.",
    "Great examples. Joined late again though.",
    "Very helpful session on recursion.",
    "Explained dynamic programming really well.",
]


def seed() -> dict[str, Any]:
    now = timezone.now()
    uni = institution("University of Manchester")
    tutor = person(
        "Priya Sharma", joined=now - timedelta(days=200), inst=uni, timezone="Europe/London",
        bio="Final-year CS student, TA for Algorithms.",
    )  # fmt: skip
    TeachingSubject.objects.create(
        user=tutor, subject=make_subject("Analytics topic"), verified_at=now
    )
    learners = [
        person(name, joined=now - timedelta(days=120), inst=uni, timezone="Europe/London")
        for name in ["Sam Lee", "Ana Costa", "Ben Okafor", "Mia Chen", "Leo Novak", "Zoe Adams"]
    ]
    learner = learners[0]
    problems = [problem(f"e2e-{i}", ["easy", "medium", "hard"][i % 3]) for i in range(12)]
    hour = 0
    for week in range(10, 0, -1):
        for j in range(2 + week % 3):
            who = learners[(week + j) % len(learners)]
            hour += 3
            starts = (now - timedelta(weeks=week, hours=hour)).replace(minute=0, second=0)
            b = booking(tutor, who, starts=starts, minutes=60 + 30 * (j % 2))
            event(b, "request", b.created_at, actor=who, to_status="requested")
            event(
                b, "accept", b.created_at + timedelta(hours=1 + j), actor=tutor,
                to_status="confirmed",
            )  # fmt: skip
            event(b, "complete", b.ends_at + timedelta(minutes=5), actor=tutor)
            punctuality = 5 if week > 5 else 2 + (j % 2)
            review(
                b, who, tutor, b.ends_at + timedelta(hours=2),
                comment=COMMENTS[(week + j) % len(COMMENTS)] if week <= 5 else "",
                clarity=5 - (j % 2), knowledge=5, patience=4 + (j % 2), punctuality=punctuality,
            )  # fmt: skip
            review(
                b, tutor, who, b.ends_at + timedelta(hours=3),
                preparedness=3 + (week % 3), engagement=4 + (j % 2),
            )  # fmt: skip
    for i, who in enumerate(learners):
        for k in range(2 + i % 3):
            prob = problems[(i + k * 5) % len(problems)]
            when = now - timedelta(days=3 + 6 * k + i)
            sub = submission(who, prob, created=when, wait_seconds=2 + 7 * k)
            Solve.objects.get_or_create(
                user=who, problem=prob, defaults={"submission": sub, "solved_at": when}
            )
            submission(
                who, prob, created=when - timedelta(hours=1), wait_seconds=4,
                verdict="wrong_answer", language=["python", "cpp", "javascript"][k % 3],
            )  # fmt: skip
    upcoming = booking(
        tutor, learner, starts=now + timedelta(days=2, hours=3), status=Booking.Status.CONFIRMED
    )
    booking(tutor, learners[1], starts=now + timedelta(days=4), status=Booking.Status.REQUESTED)
    for n in range(8):
        slate = uuid.uuid4()
        Impression.objects.create(
            slate=slate, surface="search" if n % 2 else "recommended", viewer=learners[n % 6],
            tutor=tutor, position=1, shown_at=now - timedelta(days=n + 1),
            booking=upcoming if n == 0 else None,
            booked_at=upcoming.created_at if n == 0 else None,
        )  # fmt: skip
    LearnerGoal.objects.create(
        user=learner, kind="solves", target=6, starts_on=(now - timedelta(days=20)).date(),
        due_on=(now + timedelta(days=10)).date(),
    )  # fmt: skip
    LearnerGoal.objects.create(
        user=learner, kind="sessions", target=8, starts_on=(now - timedelta(days=60)).date(),
        due_on=(now + timedelta(days=30)).date(),
    )  # fmt: skip
    admin = person("Ada Admin", joined=now - timedelta(days=400))
    User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True)
    today = now.date()
    services.rollup_days(start=today - timedelta(days=90), end=today)
    return {"tutor": tutor, "learner": learner, "admin": admin}


def sign_in(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.I)).click()
    page.wait_for_url(f"{base}/")


def charts_drawn(page: Page) -> int:
    """How many canvases Chart.js has drawn (each must have a chart and a size)."""
    page.wait_for_function("() => window.Chart !== undefined")
    return int(
        page.evaluate(
            """() => [...document.querySelectorAll('canvas[data-chart]')]
                 .filter(c => window.Chart.getChart(c) && c.width > 0).length"""
        )
    )


def shoot_all(
    page: Page, base: str, path: str, name: str, screenshot: Screenshot, expect: int
) -> None:
    for width, height in ((1280, 900), (375, 800)):
        page.set_viewport_size({"width": width, "height": height})
        for theme in ("light", "dark"):
            page.emulate_media(color_scheme=theme)
            page.goto(f"{base}{path}")
            if expect:
                assert charts_drawn(page) >= expect
            screenshot(page, f"analytics-{name}-{width}-{theme}")


def test_dashboards_with_real_data(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    people = seed()
    tutor_page = new_page()
    sign_in(tutor_page, live_url, people["tutor"])
    home = tutor_page.content()
    assert "Welcome back, Priya Sharma" in home and "Get verified" not in home
    assert "Waiting on you" in tutor_page.content()
    shoot_all(tutor_page, live_url, "/", "home-tutor", screenshot, expect=0)
    shoot_all(tutor_page, live_url, "/insights/me/teaching/", "tutor", screenshot, expect=2)
    assert "Punctuality." in tutor_page.content()  # the advice, with its comments
    assert "joined late again" in tutor_page.content().lower()

    learner_page = new_page()
    sign_in(learner_page, live_url, people["learner"])
    shoot_all(learner_page, live_url, "/insights/me/learning/", "learner", screenshot, expect=2)
    learner_page.goto(f"{live_url}/insights/")
    assert "Analytics are for administrators" in learner_page.content()

    admin_page = new_page()
    sign_in(admin_page, live_url, people["admin"])
    shoot_all(admin_page, live_url, "/insights/", "admin", screenshot, expect=5)
    admin_page.set_viewport_size({"width": 1280, "height": 900})
    admin_page.goto(f"{live_url}/insights/")
    with admin_page.expect_download() as download:
        admin_page.locator('a[href$="export=funnel"]').click()
    assert download.value.suggested_filename.endswith("-funnel.csv")
    # The numbers of every chart are in a table.
    assert admin_page.locator("table.data-table").count() >= 8
