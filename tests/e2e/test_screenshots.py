"""Full-page screenshots of the main pages with demo-like data, for a person to look at.

They land in test-artifacts/screenshots/ (git-ignored). The test also walks the moderation path:
the moderator finds the pending request in the queue, opens it, approves it with a reason, and the
tutor's public profile then carries the verified mark."""

from __future__ import annotations

import re
from datetime import time
from typing import TYPE_CHECKING

import pytest
from django.core import mail

from peerlearn.accounts import services
from peerlearn.accounts.models import Institution, Subject, User, VerificationRequest
from peerlearn.accounts.services import WindowInput
from peerlearn.common.testing import (
    PASSWORD,
    PDF_BYTES,
    make_moderator,
    make_subject,
    make_user,
    png_bytes,
    upload,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e


def _institution(name: str, city: str, country: str) -> Institution:
    """One of the seeded institutions (migrations load them), created if missing."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    institution, _ = Institution.objects.get_or_create(
        name=name, defaults={"slug": slug, "city": city, "country": country}
    )
    return institution


def _weekly(user: User, spec: dict[int, list[tuple[int, int]]]) -> None:
    windows = [
        WindowInput(weekday=day, start_time=time(start), end_time=time(end))
        for day, ranges in spec.items()
        for start, end in ranges
    ]
    services.availability_replace(actor=user, user=user, windows=windows)


def _tutor(
    email: str,
    name: str,
    *,
    institution: Institution,
    programme: str,
    bio: str,
    timezone: str,
    languages: list[str],
    teaches: list[tuple[str, str, str, str]],
    photo: str | None = None,
) -> User:
    """A tutor with a full profile; ``teaches`` holds (area, subject, topic, evidence)."""
    user = make_user(
        email,
        role=User.Role.TUTOR,
        timezone=timezone,
        display_name=name,
        bio=bio,
        institution=institution,
        programme=programme,
        year_of_study=3,
        languages=languages,
        city=institution.city,
        learning_styles=["visual", "hands_on"],
        session_formats=["one_to_one", "pair_practice"],
    )
    for area, subject, topic, evidence in teaches:
        item = make_subject(topic, parent_names=(area, subject))
        services.teaching_subject_set(
            actor=user, subject_id=item.pk, proficiency="advanced", evidence=evidence
        )
    if photo:
        services.avatar_set(
            actor=user, user=user, upload=upload("me.png", png_bytes((320, 320), photo))
        )
    return user


def _approve_directly(moderator: User, tutor: User, topic_name: str) -> None:
    teaching = tutor.teaching_subjects.get(subject__name=topic_name)
    request = services.verification_submit(
        actor=tutor,
        subject_id=teaching.subject_id,
        upload=upload("transcript.pdf", PDF_BYTES, "application/pdf"),
    )
    services.verification_decide(
        actor=moderator, request_id=request.pk, approve=True, reason="Transcript shows an A."
    )


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.I)).click()
    page.wait_for_url(f"{base}/")


def test_main_pages_and_the_moderation_path(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    # Migrations seed the catalogue; serialized rollback restores it for every e2e test.
    assert Subject.objects.filter(kind=Subject.Kind.TOPIC).count() >= 150
    manchester = _institution("University of Manchester", "Manchester", "United Kingdom")
    tum = _institution("Technical University of Munich", "Munich", "Germany")
    moderator = make_moderator("moderator@example.org")
    priya = _tutor(
        "priya@example.org",
        "Priya Raman",
        institution=manchester,
        programme="BSc Computer Science",
        bio=(
            "Third-year CS student and TA for Algorithms. I like drawing graphs on the "
            "whiteboard until recursion clicks.\nAlso happy to pair on Python exercises."
        ),
        timezone="Europe/London",
        languages=["en", "hi"],
        teaches=[
            ("Computing", "Algorithms", "Graph algorithms", "TA, Algorithms 2025"),
            ("Computing", "Programming", "Python basics", "A in COMP16321"),
        ],
    )
    _weekly(priya, {0: [(9, 12), (14, 17)], 2: [(9, 12)], 3: [(18, 21)], 5: [(10, 13)]})
    # Her pending request: the one the moderator will decide in the browser.
    graphs = priya.teaching_subjects.get(subject__name="Graph algorithms")
    pending = services.verification_submit(
        actor=priya,
        subject_id=graphs.subject_id,
        upload=upload("ta-appointment.pdf", PDF_BYTES, "application/pdf"),
        note="Appointment letter for the 2025 autumn term.",
    )
    jonas = _tutor(
        "jonas@example.org",
        "Jonas Weber",
        institution=tum,
        programme="MSc Mathematics",
        bio="Linear algebra and analysis, explained with pictures.",
        timezone="Europe/Berlin",
        languages=["de", "en"],
        teaches=[
            ("Mathematics", "Linear algebra", "Eigenvalues", "1.0 in MA1101"),
            ("Mathematics", "Analysis", "Sequences and series", "Tutor, Analysis 1"),
        ],
        photo="#0f766e",
    )
    _approve_directly(moderator, jonas, "Eigenvalues")
    _approve_directly(moderator, jonas, "Sequences and series")
    _weekly(jonas, {1: [(8, 10)], 3: [(16, 19)]})
    amara = _tutor(
        "amara@example.org",
        "Amara Okafor",
        institution=manchester,
        programme="BEng Electrical Engineering",
        bio="Circuits, signals and the maths behind them.",
        timezone="Europe/London",
        languages=["en", "fr"],
        teaches=[("Engineering", "Electronics", "Circuit analysis", "A in EEEN10026")],
        photo="#b45309",
    )
    _approve_directly(moderator, amara, "Circuit analysis")
    make_user("learner@example.org", display_name="Sam Learner", bio="First-year physics.")
    mail.outbox.clear()

    # The home page, signed out.
    visitor = new_page()
    visitor.goto(f"{live_url}/")
    visitor.get_by_role("heading", name="Verified tutors").wait_for()
    assert visitor.get_by_text("Jonas Weber").is_visible()
    avatars = visitor.locator(".person-card img.avatar")
    assert avatars.count() == 2
    assert all(img.evaluate("i => i.complete && i.naturalWidth > 0") for img in avatars.all())
    screenshot(visitor, "home-anonymous")

    # A public profile.
    visitor.goto(f"{live_url}/people/{priya.pk}/")
    visitor.get_by_role("heading", name="Priya Raman", level=1).wait_for()
    assert visitor.locator(".week-grid .cell.free").count() > 0
    assert visitor.get_by_text("✓ Verified").count() == 0
    screenshot(visitor, "profile")

    # The same pages on a phone, and the profile in the dark theme.
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(f"{live_url}/")
    screenshot(phone, "home-anonymous-phone")
    phone.goto(f"{live_url}/people/{priya.pk}/")
    screenshot(phone, "profile-phone")
    dark = new_page(color_scheme="dark")
    dark.goto(f"{live_url}/people/{priya.pk}/")
    screenshot(dark, "profile-dark")

    # The home page, signed in (the tutor, in her own browser).
    tutor_page = new_page()
    _sign_in(tutor_page, live_url, priya.email)
    tutor_page.get_by_role("heading", name=re.compile("Welcome to PeerLearn")).wait_for()  # new
    screenshot(tutor_page, "home-signed-in")

    # The moderator's queue shows the pending request.
    mod_page = new_page()
    _sign_in(mod_page, live_url, moderator.email)
    mod_page.goto(f"{live_url}/moderation/verification/")
    row = mod_page.get_by_role("row").filter(has_text="Priya Raman")
    assert row.count() == 1
    assert "Graph algorithms" in row.inner_text()
    assert "ta-appointment.pdf" in row.inner_text()
    screenshot(mod_page, "verification-queue")

    # Open the review page and approve with a reason.
    row.get_by_role("link", name="Review").click()
    mod_page.get_by_role("heading", name="Review: Graph algorithms").wait_for()
    screenshot(mod_page, "verification-review")
    # Nothing is pre-selected: the moderator must choose.
    mod_page.get_by_role("group", name="Your decision").get_by_label("Approve").check()
    mod_page.get_by_label(re.compile("Reason")).fill("Appointment letter checked with the school.")
    mod_page.get_by_role("button", name="Record decision").click()
    mod_page.get_by_text("Decision recorded").wait_for()
    assert mod_page.get_by_role("row").filter(has_text="Priya Raman").count() == 0
    screenshot(mod_page, "verification-queue-cleared")
    pending.refresh_from_db()
    assert pending.status == VerificationRequest.Status.APPROVED
    decision = pending.decisions.get()
    assert decision.moderator == moderator
    assert decision.reason == "Appointment letter checked with the school."
    assert [m.to for m in mail.outbox] == [[priya.email]]

    # The tutor now shows the verified mark on her profile.
    tutor_page.goto(f"{live_url}/people/{priya.pk}/")
    verified_row = tutor_page.get_by_role("row").filter(has_text="Graph algorithms")
    assert "Verified" in verified_row.inner_text()
    assert (
        "Verified"
        not in tutor_page.get_by_role("row").filter(has_text="Python basics").inner_text()
    )
    screenshot(tutor_page, "profile-verified")
