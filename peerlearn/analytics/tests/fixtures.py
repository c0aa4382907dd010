"""Small builders for analytics tests: rows placed at exact moments (bypassing ``auto_now``),
so every expected number can be worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Model
from django.test import Client

from peerlearn.accounts.models import Institution, User
from peerlearn.common.testing import make_subject, make_user
from peerlearn.practice.models import Problem, Submission
from peerlearn.reviews.models import Review
from peerlearn.scheduling.models import Booking, BookingEvent, TimeClaim

START, END = date(2026, 3, 28), date(2026, 3, 31)  # the rollup tests' range


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def at(obj: Model, **moments: datetime) -> None:
    """Set auto_now(_add) fields after the fact."""
    type(obj)._default_manager.filter(pk=obj.pk).update(**moments)


def institution(name: str) -> Institution:
    inst, _ = Institution.objects.get_or_create(name=name, defaults={"slug": name.lower()})
    return inst


def person(name: str, *, joined: datetime, inst: Institution | None = None, **extra: Any) -> User:
    user = make_user(display_name=name, institution=inst, **extra)
    User.objects.filter(pk=user.pk).update(date_joined=joined)
    user.refresh_from_db()
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def booking(
    tutor: User,
    learner: User,
    *,
    starts: datetime,
    minutes: int = 60,
    status: str = Booking.Status.COMPLETED,
    created: datetime | None = None,
    cancelled_late: bool = False,
    no_show_user: User | None = None,
) -> Booking:
    subject = make_subject("Analytics topic")
    b = Booking.objects.create(
        tutor=tutor,
        subject=subject,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        status=status,
        created_by=learner,
        cancelled_late=cancelled_late,
        no_show_user=no_show_user,
    )
    end = starts + timedelta(minutes=minutes)
    TimeClaim.objects.create(
        booking=b,
        user=tutor,
        role=TimeClaim.Role.TUTOR,
        starts_at=starts,
        ends_at=end,
        active=status not in (Booking.Status.CANCELLED, Booking.Status.DECLINED),
    )
    TimeClaim.objects.create(
        booking=b, user=learner, role=TimeClaim.Role.LEARNER, starts_at=starts, ends_at=end
    )
    at(b, created_at=created or starts - timedelta(days=2))
    b.refresh_from_db()
    return b


def event(b: Booking, action: str, when: datetime, *, actor: User, to_status: str = "") -> None:
    e = BookingEvent.objects.create(booking=b, actor=actor, action=action, to_status=to_status)
    at(e, at=when)


def review(
    b: Booking, author: User, subject: User, when: datetime, comment: str = "", **scores: int
) -> Review:
    direction = (
        Review.Direction.OF_TUTOR if subject.pk == b.tutor_id else Review.Direction.OF_LEARNER
    )
    r = Review(
        booking=b,
        author=author,
        subject=subject,
        direction=direction,
        comment=comment,
        created_at=when,
        updated_at=when,
        **scores,
    )
    r.overall = r.compute_overall()
    r.save()
    return r


def problem(slug: str = "p1", difficulty: str = "easy") -> Problem:
    return Problem.objects.create(
        slug=slug,
        title=slug,
        difficulty=difficulty,
        kind=Problem.Kind.FUNCTION,
        statement="s",
        statement_html="s",
        starter_code={},
    )


def submission(
    user: User,
    prob: Problem,
    *,
    created: datetime,
    wait_seconds: float,
    language: str = "python",
    verdict: str = Submission.Verdict.ACCEPTED,
) -> Submission:
    s = Submission.objects.create(
        user=user,
        problem=prob,
        language=language,
        code="x",
        mode=Submission.Mode.SUBMIT,
        status=Submission.Status.DONE,
        verdict=verdict,
        finished_at=created + timedelta(seconds=wait_seconds),
    )
    at(s, created_at=created)
    s.refresh_from_db()
    return s
