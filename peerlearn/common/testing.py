"""Test personas and small factories shared by every app's tests."""

from __future__ import annotations

import io
import itertools
from typing import Any

from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from peerlearn.accounts import services
from peerlearn.accounts.models import Subject, User

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
    user = User.objects.create_user(email=email, password=PASSWORD, role=role)
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
