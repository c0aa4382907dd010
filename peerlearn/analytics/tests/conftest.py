"""The hand-computed world of the rollup tests (see test_rollup.py for the arithmetic)."""

from __future__ import annotations

from typing import Any

import pytest

from peerlearn.matching.help.models import HelpRequest
from peerlearn.scheduling.models import Booking

from .fixtures import at, booking, event, institution, person, problem, review, submission, utc


@pytest.fixture
def berlin(settings: Any) -> None:
    settings.ANALYTICS_TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def world(berlin: None) -> dict[str, Any]:
    alpha, beta = institution("Alpha"), institution("Beta")
    a1 = person("a1", joined=utc(2026, 3, 28, 22, 59), inst=alpha)  # 23:59 CET, the 28th
    a2 = person("a2", joined=utc(2026, 3, 28, 23, 0), inst=alpha)  # 00:00 CET, the 29th
    b1 = person("b1", joined=utc(2026, 3, 29, 21, 59), inst=beta)  # 23:59 CEST, the 29th
    b2 = person("b2", joined=utc(2026, 3, 29, 22, 0), inst=beta)  # 00:00 CEST, the 30th
    tutor = person("T", joined=utc(2026, 1, 1, 12, 0), inst=alpha)

    # bk1: requested on the 29th (00:30 CET), accepted 2 h later (03:30 CEST), completed.
    bk1 = booking(tutor, a1, starts=utc(2026, 3, 30, 8, 0), created=utc(2026, 3, 28, 23, 30))
    event(bk1, "request", utc(2026, 3, 28, 23, 30), actor=a1, to_status="requested")
    event(bk1, "accept", utc(2026, 3, 29, 1, 30), actor=tutor, to_status="confirmed")
    event(bk1, "complete", utc(2026, 3, 30, 10, 0), actor=tutor, to_status="completed")
    review(
        bk1, a1, tutor, utc(2026, 3, 30, 12, 0),
        clarity=5, knowledge=4, patience=4, punctuality=2,
    )  # fmt: skip
    # bk2: a1 asks the same tutor again on the 31st: a rebooking.
    bk2 = booking(
        tutor,
        a1,
        starts=utc(2026, 4, 3, 8, 0),
        status=Booking.Status.REQUESTED,
        created=utc(2026, 3, 31, 9, 0),
    )
    event(bk2, "request", utc(2026, 3, 31, 9, 0), actor=a1, to_status="requested")
    # bk3 (Beta): requested 23:00 CEST on the 29th, countered 30 min later, the counter accepted
    # at 00:30 CEST on the 30th; then cancelled late.
    bk3 = booking(
        tutor,
        b1,
        starts=utc(2026, 3, 31, 10, 0),
        status=Booking.Status.CANCELLED,
        cancelled_late=True,
        created=utc(2026, 3, 29, 21, 0),
    )
    event(bk3, "request", utc(2026, 3, 29, 21, 0), actor=b1, to_status="requested")
    event(bk3, "counter", utc(2026, 3, 29, 21, 30), actor=tutor, to_status="countered")
    event(bk3, "accept_counter", utc(2026, 3, 29, 22, 30), actor=b1, to_status="confirmed")
    # bk4: a2 did not show up; it was to start at 00:15 CET on the 29th.
    booking(
        tutor,
        a2,
        starts=utc(2026, 3, 28, 23, 15),
        status=Booking.Status.NO_SHOW,
        no_show_user=a2,
    )
    # Judge: five Python submissions by a2 on the 30th (waits 3, 3, 8, 40, 700 s) and one C++.
    prob = problem()
    verdicts = ["accepted", "accepted", "wrong_answer", "accepted", "time_limit_exceeded"]
    for wait, verdict in zip([3, 3, 8, 40, 700], verdicts, strict=True):
        submission(a2, prob, created=utc(2026, 3, 30, 12, 0), wait_seconds=wait, verdict=verdict)
    submission(b1, prob, created=utc(2026, 3, 30, 12, 0), wait_seconds=1, language="cpp")
    # A help request by b2 on the 30th, accepted after 45 s.
    help_request = HelpRequest.objects.create(
        learner=b2,
        subject=bk1.subject,
        description="help",
        starts_at=utc(2026, 3, 30, 10, 0),
        duration_minutes=30,
        status=HelpRequest.Status.ACCEPTED,
        accepted_by=tutor,
        round_ends_at=utc(2026, 3, 30, 9, 5),
        closed_at=utc(2026, 3, 30, 9, 0, 45),
    )
    at(help_request, created_at=utc(2026, 3, 30, 9, 0))
    return {"alpha": alpha, "beta": beta, "a1": a1, "a2": a2, "b1": b1, "b2": b2, "T": tutor}
