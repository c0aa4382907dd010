from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from peerlearn.accounts import services
from peerlearn.accounts.models import (
    AvailabilityWindow,
    Institution,
    InstitutionDomain,
    Subject,
    User,
    VerificationDecision,
    VerificationRequest,
)
from peerlearn.common.errors import Conflict, Forbidden, ServiceError
from peerlearn.common.testing import (
    PDF_BYTES,
    make_moderator,
    make_subject,
    make_user,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def profile_input(**overrides: object) -> services.ProfileInput:
    data: dict[str, object] = {"display_name": "Ada", "timezone": "Europe/Berlin"}
    data.update(overrides)
    return services.ProfileInput(**data)  # type: ignore[arg-type]


class TestProfile:
    def test_it_saves_every_field(self) -> None:
        user = make_user()
        services.profile_update(
            actor=user,
            user=user,
            data=profile_input(
                bio="I like graphs",
                programme="BSc CS",
                year_of_study=2,
                languages=["en", "de", "en"],
                city="Berlin",
                latitude=52.52,
                longitude=13.40,
                learning_styles=["visual"],
                session_formats=["one_to_one", "group"],
            ),
        )
        user.profile.refresh_from_db()
        assert user.profile.display_name == "Ada"
        assert user.profile.languages == ["en", "de"]
        assert user.profile.session_formats == ["one_to_one", "group"]
        assert user.profile.timezone == "Europe/Berlin"

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"latitude": 10.0}, "latitude"),
            ({"latitude": 91.0, "longitude": 0.0}, "latitude"),
            ({"languages": ["xx"]}, "languages"),
            ({"learning_styles": ["telepathy"]}, "learning_styles"),
            ({"display_name": "  "}, "display_name"),
            ({"year_of_study": 0}, "year_of_study"),
        ],
    )
    def test_it_refuses_bad_input_naming_the_field(self, overrides: dict, field: str) -> None:
        user = make_user()
        with pytest.raises(ServiceError) as info:
            services.profile_update(actor=user, user=user, data=profile_input(**overrides))
        assert info.value.field == field

    def test_nobody_edits_someone_elses_profile(self) -> None:
        owner, other = make_user(), make_user()
        with pytest.raises(Forbidden):
            services.profile_update(actor=other, user=owner, data=profile_input())

    def test_avatar_is_reencoded_and_thumbnailed(self) -> None:
        user = make_user()
        services.avatar_set(actor=user, user=user, upload=upload("me.png", png_bytes((800, 400))))
        profile = user.profile
        profile.refresh_from_db()
        assert str(profile.avatar.name).endswith(".webp")
        from PIL import Image

        with Image.open(profile.avatar_thumbnail.open("rb")) as thumb:
            assert thumb.size == (96, 96)

    def test_avatar_that_is_not_an_image_is_refused(self) -> None:
        user = make_user()
        with pytest.raises(ServiceError) as info:
            services.avatar_set(
                actor=user, user=user, upload=upload("me.png", b"<html><script>x</script>")
            )
        assert info.value.code == "file_type"


class TestInstitutionLink:
    def test_a_verified_address_on_a_known_domain_joins_the_institution(self) -> None:
        inst = Institution.objects.create(name="Test University", slug="test-u")
        InstitutionDomain.objects.create(institution=inst, domain="test-u.edu")
        user = make_user("x@cs.test-u.edu")
        assert services.institution_link_from_email(user=user, email="x@cs.test-u.edu")
        user.profile.refresh_from_db()
        assert user.profile.institution == inst

    def test_an_unknown_domain_changes_nothing(self) -> None:
        user = make_user("x@gmail.example")
        assert not services.institution_link_from_email(user=user, email="x@gmail.example")


class TestSubjects:
    def test_teaching_makes_a_learner_a_tutor(self) -> None:
        user = make_user()
        topic = make_subject()
        services.teaching_subject_set(
            actor=user, subject_id=topic.pk, proficiency="advanced", evidence="A in CS201"
        )
        user.refresh_from_db()
        assert user.role == User.Role.TUTOR

    def test_an_area_cannot_be_picked(self) -> None:
        user = make_user()
        make_subject()
        area = Subject.objects.get(slug="t-testing-area")
        with pytest.raises(ServiceError):
            services.learning_subject_set(actor=user, subject_id=area.pk, level="beginner")

    def test_setting_twice_updates_instead_of_duplicating(self) -> None:
        user = make_user()
        topic = make_subject()
        services.learning_subject_set(actor=user, subject_id=topic.pk, level="beginner")
        services.learning_subject_set(actor=user, subject_id=topic.pk, level="advanced")
        assert list(user.learning_subjects.values_list("level", flat=True)) == ["advanced"]


class TestAvailability:
    def test_it_replaces_the_weekly_pattern(self) -> None:
        user = make_user()
        W = services.WindowInput
        services.availability_replace(
            actor=user,
            user=user,
            windows=[W(0, time(9), time(12)), W(0, time(14), time(18)), W(4, time(10), time(11))],
        )
        services.availability_replace(actor=user, user=user, windows=[W(2, time(8), time(9))])
        assert list(
            AvailabilityWindow.objects.filter(user=user).values_list("weekday", flat=True)
        ) == [2]

    def test_overlapping_windows_are_refused(self) -> None:
        user = make_user()
        W = services.WindowInput
        with pytest.raises(ServiceError) as info:
            services.availability_replace(
                actor=user, user=user, windows=[W(1, time(9), time(12)), W(1, time(11), time(13))]
            )
        assert info.value.code == "overlapping_windows"

    def test_a_window_must_end_after_it_starts(self) -> None:
        user = make_user()
        with pytest.raises(ServiceError):
            services.availability_replace(
                actor=user, user=user, windows=[services.WindowInput(1, time(12), time(9))]
            )

    def test_someone_else_cannot_replace_my_availability(self) -> None:
        owner, other = make_user(), make_user()
        with pytest.raises(Forbidden):
            services.availability_replace(actor=other, user=owner, windows=[])

    def test_exceptions_in_the_past_are_refused(self) -> None:
        user = make_user()
        with pytest.raises(ServiceError):
            services.availability_exception_add(actor=user, on=date(2000, 1, 1), kind="unavailable")
        tomorrow = timezone.now().date() + timedelta(days=2)
        exc = services.availability_exception_add(
            actor=user, on=tomorrow, kind="unavailable", note="Exam"
        )
        assert exc.is_whole_day


class TestVerification:
    def _tutor_with_subject(self) -> tuple[User, int]:
        tutor = make_user(display_name="Tess Tutor")
        topic = make_subject()
        services.teaching_subject_set(actor=tutor, subject_id=topic.pk, proficiency="expert")
        return tutor, topic.pk

    def test_submit_then_approve_marks_the_subject_verified_and_emails_the_tutor(
        self, django_capture_on_commit_callbacks
    ) -> None:
        tutor, subject_id = self._tutor_with_subject()
        moderator = make_moderator()
        request = services.verification_submit(
            actor=tutor, subject_id=subject_id, upload=upload("t.pdf", PDF_BYTES)
        )
        assert request.content_type == "application/pdf"
        with django_capture_on_commit_callbacks(execute=True):
            decision = services.verification_decide(
                actor=moderator, request_id=request.pk, approve=True, reason="Transcript checks out"
            )
        teaching = tutor.teaching_subjects.get()
        assert teaching.is_verified
        assert decision.moderator == moderator and decision.reason == "Transcript checks out"
        assert len(mail.outbox) == 1
        assert "verified" in mail.outbox[0].subject.lower()
        assert mail.outbox[0].to == [tutor.email]

    def test_rejection_keeps_the_subject_unverified_and_records_why(
        self, django_capture_on_commit_callbacks
    ) -> None:
        tutor, subject_id = self._tutor_with_subject()
        request = services.verification_submit(
            actor=tutor, subject_id=subject_id, upload=upload("t.png", png_bytes())
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.verification_decide(
                actor=make_moderator(), request_id=request.pk, approve=False, reason="Blurry"
            )
        assert not tutor.teaching_subjects.get().is_verified
        assert VerificationDecision.objects.get().decision == VerificationRequest.Status.REJECTED
        assert "Blurry" in mail.outbox[0].body

    def test_only_moderators_decide_and_never_twice(self) -> None:
        tutor, subject_id = self._tutor_with_subject()
        request = services.verification_submit(
            actor=tutor, subject_id=subject_id, upload=upload("t.pdf", PDF_BYTES)
        )
        with pytest.raises(Forbidden):
            services.verification_decide(
                actor=make_user(), request_id=request.pk, approve=True, reason="ok"
            )
        moderator = make_moderator()
        services.verification_decide(
            actor=moderator, request_id=request.pk, approve=True, reason="ok"
        )
        with pytest.raises(Conflict):
            services.verification_decide(
                actor=moderator, request_id=request.pk, approve=False, reason="changed mind"
            )

    def test_a_reason_is_required(self) -> None:
        tutor, subject_id = self._tutor_with_subject()
        request = services.verification_submit(
            actor=tutor, subject_id=subject_id, upload=upload("t.pdf", PDF_BYTES)
        )
        with pytest.raises(ServiceError):
            services.verification_decide(
                actor=make_moderator(), request_id=request.pk, approve=True, reason=" "
            )

    def test_only_one_pending_request_per_subject(self) -> None:
        tutor, subject_id = self._tutor_with_subject()
        services.verification_submit(
            actor=tutor, subject_id=subject_id, upload=upload("a.pdf", PDF_BYTES)
        )
        with pytest.raises(Conflict):
            services.verification_submit(
                actor=tutor, subject_id=subject_id, upload=upload("b.pdf", PDF_BYTES)
            )

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("cv.pdf", b"<html><body>not a pdf</body></html>"),
            ("evil.pdf.exe", b"MZ\x90\x00" + b"\x00" * 100),
            ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
            ("empty.pdf", b""),
        ],
    )
    def test_documents_are_checked_by_content(self, name: str, content: bytes) -> None:
        tutor, subject_id = self._tutor_with_subject()
        with pytest.raises(ServiceError):
            services.verification_submit(
                actor=tutor, subject_id=subject_id, upload=upload(name, content)
            )

    def test_the_stored_name_is_random_and_the_display_name_is_sanitised(self) -> None:
        tutor, subject_id = self._tutor_with_subject()
        request = services.verification_submit(
            actor=tutor, subject_id=subject_id, upload=upload("../../etc/passwd.pdf", PDF_BYTES)
        )
        stored = str(request.document.name)
        assert ".." not in stored and "passwd" not in stored
        assert request.original_name == "passwd.pdf"

    def test_it_needs_a_teaching_subject(self) -> None:
        with pytest.raises(ServiceError):
            services.verification_submit(
                actor=make_user(), subject_id=make_subject().pk, upload=upload("a.pdf", PDF_BYTES)
            )
