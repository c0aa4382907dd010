"""Small factories for gamification tests: finished sessions, solves and reviews made
directly (the other apps' own tests cover how they get there)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from peerlearn.accounts.models import Subject, User
from peerlearn.common.testing import make_subject
from peerlearn.practice.models import Problem, Solve, Submission
from peerlearn.practice.services import code_fingerprint
from peerlearn.reviews.models import Review
from peerlearn.scheduling.models import Booking, TimeClaim

_n = itertools.count(1)


def completed_session(
    tutor: User,
    learners: list[User] | User,
    *,
    ends_at: datetime,
    minutes: int = 60,
    subject: Subject | None = None,
    status: str = Booking.Status.COMPLETED,
) -> Booking:
    people = learners if isinstance(learners, list) else [learners]
    starts_at = ends_at - timedelta(minutes=minutes)
    group = len(people) > 1
    booking = Booking.objects.create(
        tutor=tutor,
        subject=subject or make_subject("Graphs"),
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        kind=Booking.Kind.GROUP if group else Booking.Kind.ONE_TO_ONE,
        capacity=len(people),
        created_by=people[0],
    )
    TimeClaim.objects.create(
        booking=booking, user=tutor, role="tutor", starts_at=starts_at, ends_at=ends_at
    )
    for learner in people:
        TimeClaim.objects.create(
            booking=booking, user=learner, role="learner", starts_at=starts_at, ends_at=ends_at
        )
    return booking


def make_problem(difficulty: str = "easy", slug: str | None = None) -> Problem:
    n = next(_n)
    return Problem.objects.create(
        slug=slug or f"problem-{n}",
        title=f"Problem {n}",
        difficulty=difficulty,
        kind=Problem.Kind.FUNCTION,
        statement="Do it.",
        statement_html="<p>Do it.</p>",
    )


def accepted_submission(
    user: User,
    problem: Problem,
    *,
    at: datetime,
    language: str = "python",
    code: str | None = None,
) -> Submission:
    code = code if code is not None else f"# {user.pk} {problem.pk} {language}\nsolve()\n"
    submission = Submission.objects.create(
        user=user,
        problem=problem,
        language=language,
        code=code,
        mode=Submission.Mode.SUBMIT,
        status=Submission.Status.DONE,
        verdict=Submission.Verdict.ACCEPTED,
        finished_at=at,
        code_fingerprint=code_fingerprint(code),
    )
    Submission.objects.filter(pk=submission.pk).update(created_at=at)
    submission.created_at = at
    return submission


def make_solve(
    user: User,
    problem: Problem | None = None,
    *,
    at: datetime,
    language: str = "python",
    code: str | None = None,
) -> Solve:
    problem = problem or make_problem()
    submission = accepted_submission(user, problem, at=at, language=language, code=code)
    solve, _ = Solve.objects.get_or_create(
        user=user, problem=problem, defaults={"submission": submission, "solved_at": at}
    )
    return solve


def make_review(booking: Booking, author: User, subject: User, *, score: int = 5) -> Review:
    of_tutor = subject.pk == booking.tutor_id
    scores = (
        {"clarity": score, "knowledge": score, "patience": score, "punctuality": score}
        if of_tutor
        else {"preparedness": score, "engagement": score}
    )
    return Review.objects.create(
        booking=booking,
        author=author,
        subject=subject,
        direction="of_tutor" if of_tutor else "of_learner",
        overall=Decimal(score),
        created_at=booking.ends_at + timedelta(hours=1),
        **scores,
    )
