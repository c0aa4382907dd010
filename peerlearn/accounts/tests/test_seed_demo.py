from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, Model

from peerlearn.accounts import selectors
from peerlearn.accounts.management.commands.seed_demo import DEMO_PASSWORD, SYNTHETIC_DOMAIN
from peerlearn.accounts.models import (
    AvailabilityException,
    AvailabilityWindow,
    LearningSubject,
    Profile,
    TeachingSubject,
    User,
    VerificationDecision,
    VerificationRequest,
)
from peerlearn.accounts.services import LANGUAGE_CODES

pytestmark = pytest.mark.django_db

COUNTED: list[type[Model]] = [
    User,
    Profile,
    EmailAddress,
    LearningSubject,
    TeachingSubject,
    AvailabilityWindow,
    AvailabilityException,
    VerificationRequest,
    VerificationDecision,
]


def seed(**options: object) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}  # type: ignore[attr-defined]


def test_the_demo_logins_work_with_the_demo_password() -> None:
    output = seed()

    for email in ("learner@peerlearn.test", "tutor@peerlearn.test"):
        assert email in output
    learner = authenticate(email="learner@peerlearn.test", password=DEMO_PASSWORD)
    tutor = authenticate(email="tutor@peerlearn.test", password=DEMO_PASSWORD)
    moderator = authenticate(email="moderator@peerlearn.test", password=DEMO_PASSWORD)
    admin = authenticate(email="admin@peerlearn.test", password=DEMO_PASSWORD)
    assert isinstance(learner, User) and learner.role == User.Role.LEARNER
    assert isinstance(tutor, User) and tutor.role == User.Role.TUTOR
    assert tutor.teaching_subjects.filter(verified_at__isnull=False).exists()
    assert isinstance(moderator, User) and moderator.role == User.Role.MODERATOR
    assert isinstance(admin, User) and admin.is_superuser and admin.role == User.Role.ADMIN


def test_it_creates_the_mix_of_people_with_full_profiles() -> None:
    seed(quiet=True)

    roles = dict(User.objects.values_list("role").annotate(n=Count("id")))
    assert roles == {"tutor": 25, "learner": 30, "moderator": 2, "admin": 1}
    for profile in Profile.objects.select_related("user"):
        assert profile.display_name and profile.bio and profile.programme
        assert profile.institution is not None
        assert profile.has_location
        assert profile.languages and set(profile.languages) <= set(LANGUAGE_CODES)
        assert EmailAddress.objects.filter(user=profile.user, primary=True, verified=True).exists()
        # Demo mail never leaves the reserved .test domain.
        assert profile.user.email.endswith(".test")
    tutors = User.objects.filter(role=User.Role.TUTOR)
    assert not tutors.annotate(n=Count("teaching_subjects")).filter(n__lt=2).exists()
    assert not tutors.annotate(n=Count("availability")).filter(n__lt=3).exists()
    learners = User.objects.filter(role=User.Role.LEARNER)
    assert not learners.annotate(n=Count("learning_subjects")).filter(n__lt=2).exists()
    assert AvailabilityException.objects.exists()


def test_the_moderators_have_a_queue_and_past_decisions_are_audited() -> None:
    seed(quiet=True)

    assert selectors.verification_queue().count() >= 3
    approved = VerificationRequest.objects.filter(status=VerificationRequest.Status.APPROVED)
    assert approved.count() >= 5
    for request in approved.select_related("teaching_subject"):
        assert request.teaching_subject.is_verified
        decision = request.decisions.get()
        assert decision.moderator.is_moderator and decision.reason
        with request.document.open("rb") as document:
            assert document.read(5) == b"%PDF-"


def test_running_it_twice_creates_no_duplicates() -> None:
    seed(quiet=True)
    first = counts()

    output = seed()

    assert counts() == first
    assert "0 demo people created, 58 already there." in output


def test_it_adds_synthetic_tutors_once() -> None:
    seed(quiet=True)
    before = User.objects.count()

    output = seed(tutors=500)
    seed(tutors=500, quiet=True)

    synthetic = User.objects.filter(email__endswith="@" + SYNTHETIC_DOMAIN)
    assert "created 500/500 tutors" in output
    assert User.objects.count() == before + 500
    assert synthetic.filter(role=User.Role.TUTOR, profile__institution__isnull=False).count() == 500
    assert not synthetic.annotate(n=Count("teaching_subjects")).filter(n__lt=2).exists()
    assert not synthetic.annotate(n=Count("availability")).filter(n__lt=3).exists()
    window = AvailabilityWindow.objects.filter(user__in=synthetic).first()
    assert window is not None and window.start_time < window.end_time


def test_more_synthetic_tutors_continue_the_numbering() -> None:
    seed(tutors=300, quiet=True)

    seed(tutors=450, quiet=True)

    emails = User.objects.filter(email__endswith="@" + SYNTHETIC_DOMAIN).values_list(
        "email", flat=True
    )
    assert len(set(emails)) == 450
    assert f"tutor-000450@{SYNTHETIC_DOMAIN}" in emails
