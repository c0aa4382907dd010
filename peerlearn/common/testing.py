"""Test personas and small factories shared by every app's tests."""

from __future__ import annotations

import io
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection, connections
from django.utils import timezone
from PIL import Image

from peerlearn.accounts import services
from peerlearn.accounts.models import Subject, User
from peerlearn.accounts.roles import staff_role_set
from peerlearn.scheduling.models import Booking, TimeClaim

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


def make_user(
    email: str | None = None,
    *,
    role: str = User.Role.LEARNER,
    timezone: str = "UTC",
    display_name: str | None = None,
    verified: bool = True,
    **profile: Any,
) -> User:
    n = next(_counter)
    email = email or f"person{n}@example.org"
    user = User.objects.create_user(email=email, password=PASSWORD)
    staff_role_set(actor=None, user=user, role=role)
    if verified:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    p = services.profile_ensure(user=user)
    p.display_name = display_name or f"Person {n}"
    p.timezone = timezone
    for key, value in profile.items():
        setattr(p, key, value)
    p.save()
    return user


def make_moderator(email: str | None = None) -> User:
    return make_user(email, role=User.Role.MODERATOR, display_name="Mo Derator")


def make_admin(email: str | None = None) -> User:
    """A member of the Administrators group (not a superuser): what the admin shows staff."""
    return make_user(email, role=User.Role.ADMIN, display_name="Ad Ministrator")


def make_subject(
    name: str = "Graphs", *, parent_names: tuple[str, str] = ("Testing area", "Testing subject")
) -> Subject:
    """A topic under its own area and subject (created as needed)."""
    area, _ = Subject.objects.get_or_create(
        slug=f"t-{parent_names[0]}".lower().replace(" ", "-"),
        defaults={"name": parent_names[0], "kind": "area"},
    )
    subject, _ = Subject.objects.get_or_create(
        slug=f"t-{parent_names[0]}-{parent_names[1]}".lower().replace(" ", "-"),
        defaults={"name": parent_names[1], "kind": "subject", "parent": area},
    )
    topic, _ = Subject.objects.get_or_create(
        slug=f"t-{parent_names[1]}-{name}".lower().replace(" ", "-"),
        defaults={"name": name, "kind": "topic", "parent": subject},
    )
    return topic


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "#4f46e5") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_tutor(
    email: str | None = None,
    *,
    timezone: str = "UTC",
    windows: list[tuple[int, str, str]] | None = None,
    subject: Subject | None = None,
    display_name: str | None = None,
) -> User:
    """A tutor teaching ``subject`` (default: a fresh topic) with weekly windows given as
    (weekday, "HH:MM", "HH:MM") in their own time zone (default: every day 09:00-17:00)."""
    from datetime import time

    user = make_user(email, timezone=timezone, display_name=display_name or "Tara Tutor")
    topic = subject or make_subject()
    services.teaching_subject_set(actor=user, subject_id=topic.pk, proficiency="expert")
    spec = windows if windows is not None else [(d, "09:00", "17:00") for d in range(7)]
    services.availability_replace(
        actor=user,
        user=user,
        windows=[
            services.WindowInput(d, time.fromisoformat(a), time.fromisoformat(b))
            for d, a, b in spec
        ],
    )
    user.refresh_from_db()
    return user


def connect_patiently(patience: float = 60) -> None:
    """Open this thread's database connection, waiting while the server is full (another suite
    on the same PostgreSQL must not fail this one)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            connection.ensure_connection()
            return
        except OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def race(calls: Sequence[Callable[[], object]]) -> list[object]:
    """Every call on its own thread and database connection, released together by a barrier;
    their results in order. Fails the test when a call raised or hung."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [RuntimeError("did not finish")] * len(calls)

    def run(index: int) -> None:
        try:
            connect_patiently()  # first, so that the race is on the queries
            barrier.wait(timeout=60)
            results[index] = calls[index]()
        except BaseException as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    return results


def make_booking(
    tutor: User,
    learners: list[User],
    *,
    starts_in: timedelta = timedelta(minutes=-5),
    minutes: int = 60,
    status: str = Booking.Status.CONFIRMED,
    subject: Subject | None = None,
) -> Booking:
    """A booking with its time claims, created directly (the scheduling rules are not the
    subject here). By default it started five minutes ago, so its join window is open, and it
    is about the tutor's one teaching subject."""
    starts = timezone.now() + starts_in
    ends = starts + timedelta(minutes=minutes)
    booking = Booking.objects.create(
        kind=Booking.Kind.GROUP if len(learners) > 1 else Booking.Kind.ONE_TO_ONE,
        capacity=max(1, len(learners)),
        tutor=tutor,
        subject=subject or tutor.teaching_subjects.get().subject,
        starts_at=starts,
        ends_at=ends,
        status=status,
        created_by=learners[0],
    )
    TimeClaim.objects.create(
        booking=booking, user=tutor, role=TimeClaim.Role.TUTOR, starts_at=starts, ends_at=ends
    )
    for learner in learners:
        TimeClaim.objects.create(
            booking=booking,
            user=learner,
            role=TimeClaim.Role.LEARNER,
            starts_at=starts,
            ends_at=ends,
        )
    return booking
