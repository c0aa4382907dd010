"""Scenes: the pages the guides describe, as a given person sees them, on the demo data that
``make run`` loads. One definition serves the test that every name a guide mentions is on its page
(``test_guides.py``) and the end-to-end test that takes the guides' pictures
(``tests/e2e/test_guide_pictures.py``)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from django.core.management import call_command

from peerlearn.accounts.models import Subject, User
from peerlearn.common.testing import make_booking
from peerlearn.practice.models import Problem
from peerlearn.reviews.services import review_report, review_submit
from peerlearn.scheduling.models import Booking

LEARNER = "learner@peerlearn.test"
TUTOR = "tutor@peerlearn.test"
MODERATOR = "moderator@peerlearn.test"
ADMIN = "admin@peerlearn.test"


@dataclass(frozen=True)
class Scene:
    name: str
    who: str | None  # the demo person's email; None: signed out
    url: str


def _reported_review(tutor: User, learner: User, subject: Subject) -> None:
    """A session two days ago that both reviewed, the tutor's review reported by the learner."""
    booking = make_booking(
        tutor,
        [learner],
        starts_in=timedelta(days=-2),
        status=Booking.Status.COMPLETED,
        subject=subject,
    )
    review_submit(
        actor=learner,
        booking_id=booking.pk,
        scores={"clarity": 5, "knowledge": 5, "patience": 4, "punctuality": 2},
        comment="Clear explanations, but started twenty minutes late.",
    )
    of_learner = review_submit(
        actor=tutor,
        booking_id=booking.pk,
        subject_id=learner.pk,
        scores={"preparedness": 1, "engagement": 1},
        comment="Did not bother to read anything. A waste of my evening.",
    )
    review_report(actor=learner, review_id=of_learner.pk, reason="Insulting and not true.")


def build_scenes() -> dict[str, Scene]:
    """Load the demo data (people, problems, discussions); add, between the demo learner and
    tutor, a session about to start, a pending request, yesterday's completed session and an
    older one whose review was reported; name every page."""
    quiet = io.StringIO()
    call_command("seed_demo", quiet=True, stdout=quiet)
    call_command("import_problems", stdout=quiet)
    call_command("seed_forum", demo=True, stdout=quiet)
    learner = User.objects.get(email=LEARNER)
    tutor = User.objects.get(email=TUTOR)
    teaching = tutor.teaching_subjects.select_related("subject").order_by("-verified_at", "pk")[0]
    about_to_start = make_booking(  # the room opens 10 minutes before the start
        tutor, [learner], starts_in=timedelta(minutes=5), subject=teaching.subject
    )
    requested = make_booking(
        tutor,
        [learner],
        starts_in=timedelta(days=3),
        status=Booking.Status.REQUESTED,
        subject=teaching.subject,
    )
    make_booking(  # yesterday's session, waiting for reviews
        tutor,
        [learner],
        starts_in=timedelta(days=-1),
        status=Booking.Status.COMPLETED,
        subject=teaching.subject,
    )
    _reported_review(tutor, learner, teaching.subject)
    problem = Problem.objects.order_by("difficulty", "pk").first()
    assert problem is not None, "import_problems loaded no problem"
    pages = [
        Scene("home", None, "/"),
        Scene("tutor-search", LEARNER, f"/tutors/?q={teaching.subject.name}"),
        Scene("tutor-profile", LEARNER, f"/people/{tutor.pk}/"),
        Scene("booking-form", LEARNER, f"/sessions/book/{tutor.pk}/"),
        Scene("my-sessions", LEARNER, "/sessions/"),
        Scene("booking-request", TUTOR, f"/sessions/{requested.pk}/"),
        Scene("booking-confirmed", LEARNER, f"/sessions/{about_to_start.pk}/"),
        Scene("availability", TUTOR, "/me/availability/"),
        Scene("booking-rules", TUTOR, "/sessions/settings/"),
        Scene("verification", TUTOR, "/me/verification/"),
        Scene("help", LEARNER, "/help/"),
        Scene("practice", LEARNER, "/practice/"),
        Scene("problem", LEARNER, f"/practice/problems/{problem.slug}/"),
        Scene("pair-sessions", LEARNER, "/practice/sessions/"),
        Scene("partners", LEARNER, "/practice/partners/"),
        Scene("discussions", LEARNER, "/discussions/"),
        Scene("messages", LEARNER, "/messages/"),
        Scene("notification-settings", LEARNER, "/notifications/settings/"),
        Scene("my-reviews", LEARNER, "/reviews/"),
        Scene("points", LEARNER, "/leaderboard/me/"),
        Scene("verification-queue", MODERATOR, "/moderation/verification/"),
        Scene("review-moderation", MODERATOR, "/reviews/moderation/"),
        Scene("forum-moderation", MODERATOR, "/discussions/moderation/"),
        Scene("message-reports", MODERATOR, "/messages/moderation/"),
        Scene("admin", ADMIN, "/admin/"),
    ]
    return {scene.name: scene for scene in pages}
