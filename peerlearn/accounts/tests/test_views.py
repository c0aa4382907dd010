from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from peerlearn.accounts import services
from peerlearn.accounts.models import AvailabilityWindow, DocumentAccessLog
from peerlearn.common.testing import (
    PDF_BYTES,
    make_moderator,
    make_subject,
    make_user,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pending_request():
    tutor = make_user(display_name="Tess Tutor")
    topic = make_subject()
    services.teaching_subject_set(actor=tutor, subject_id=topic.pk, proficiency="expert")
    return services.verification_submit(
        actor=tutor, subject_id=topic.pk, upload=upload("proof.pdf", PDF_BYTES)
    )


class TestPublicPages:
    def test_home_page_renders_for_everyone(self) -> None:
        assert Client().get("/").status_code == 200
        assert logged_in(make_user()).get("/").status_code == 200

    def test_public_profile_shows_profile_but_never_email_or_coordinates(self) -> None:
        person = make_user(
            "secret@example.org",
            display_name="Grace",
            bio="Compilers!",
            latitude=52.5123,
            longitude=13.4011,
            city="Berlin",
        )
        body = Client().get(reverse("accounts:profile", args=[person.pk])).content.decode()
        assert "Grace" in body and "Compilers!" in body
        assert "secret@example.org" not in body
        assert "52.51" not in body and "13.40" not in body

    def test_a_viewer_with_a_location_sees_only_a_rounded_distance(self) -> None:
        person = make_user(latitude=52.5200, longitude=13.4050)
        viewer = make_user(latitude=52.3906, longitude=13.0645)  # Potsdam, ~27 km
        body = logged_in(viewer).get(reverse("accounts:profile", args=[person.pk])).content.decode()
        assert "about 25 km from you" in body

    def test_unknown_profile_is_404(self) -> None:
        assert Client().get(reverse("accounts:profile", args=[999999])).status_code == 404

    def test_institutions_list_member_counts(self) -> None:
        from peerlearn.accounts.models import Institution

        inst = Institution.objects.create(name="Zed University", slug="zed")
        make_user(institution=inst)
        make_user(institution=inst)
        body = Client().get(reverse("accounts:institutions")).content.decode()
        assert "Zed University" in body and "<strong>2</strong> members" in body


class TestProfileEditing:
    def test_edit_requires_login(self) -> None:
        response = Client().get(reverse("accounts:profile_edit"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_saving_the_form_updates_the_profile(self) -> None:
        user = make_user()
        response = logged_in(user).post(
            reverse("accounts:profile_edit"),
            {
                "display_name": "Ada L",
                "bio": "Hi",
                "timezone": "America/New_York",
                "languages": ["en", "fr"],
                "learning_styles": ["visual"],
                "session_formats": ["group"],
            },
        )
        assert response.status_code == 302
        user.profile.refresh_from_db()
        assert (user.profile.display_name, user.profile.timezone, user.profile.languages) == (
            "Ada L",
            "America/New_York",
            ["en", "fr"],
        )

    def test_bad_input_is_shown_on_the_form_not_a_500(self) -> None:
        user = make_user()
        response = logged_in(user).post(
            reverse("accounts:profile_edit"),
            {"display_name": "A", "timezone": "UTC", "latitude": "50"},
        )
        assert response.status_code == 200
        assert "Give both latitude and longitude" in response.content.decode()

    def test_avatar_upload_rejects_non_images(self) -> None:
        user = make_user()
        client = logged_in(user)
        client.post(
            reverse("accounts:avatar_upload"), {"avatar": upload("x.jpg.php", b"<?php echo 1;")}
        )
        user.profile.refresh_from_db()
        assert not user.profile.avatar
        client.post(reverse("accounts:avatar_upload"), {"avatar": upload("me.png", png_bytes())})
        user.profile.refresh_from_db()
        assert user.profile.avatar_thumbnail

    def test_posting_without_csrf_token_is_refused(self) -> None:
        user = make_user()
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        response = client.post(
            reverse("accounts:profile_edit"), {"display_name": "X", "timezone": "UTC"}
        )
        assert response.status_code == 403


class TestAvailabilityPage:
    def test_weekly_ranges_are_parsed_and_saved(self) -> None:
        user = make_user(timezone="Europe/Berlin")
        response = logged_in(user).post(
            reverse("accounts:availability_edit"),
            {"action": "weekly", "day_0": "09:00-12:00, 14-18", "day_3": "19:30-21:00"},
        )
        assert response.status_code == 302
        assert AvailabilityWindow.objects.filter(user=user).count() == 3

    def test_garbage_ranges_are_reported_against_the_day(self) -> None:
        user = make_user()
        response = logged_in(user).post(
            reverse("accounts:availability_edit"), {"action": "weekly", "day_1": "lunchtime"}
        )
        assert response.status_code == 200
        assert "is not a time range" in response.content.decode()
        assert not AvailabilityWindow.objects.filter(user=user).exists()

    def test_the_grid_is_rendered(self) -> None:
        user = make_user(timezone="UTC")
        logged_in(user).post(
            reverse("accounts:availability_edit"), {"action": "weekly", "day_2": "10:00-12:00"}
        )
        body = logged_in(user).get(reverse("accounts:availability_edit")).content.decode()
        assert body.count('class="cell free"') == 2


class TestVerificationPages:
    def test_queue_is_for_moderators_only(self, pending_request) -> None:
        assert logged_in(make_user()).get(reverse("accounts:verification_queue")).status_code == 403
        body = (
            logged_in(make_moderator()).get(reverse("accounts:verification_queue")).content.decode()
        )
        assert "proof.pdf" in body

    def test_moderator_approves_through_the_review_page(self, pending_request) -> None:
        client = logged_in(make_moderator())
        url = reverse("accounts:verification_review", args=[pending_request.pk])
        response = client.post(url, {"decision": "approve", "reason": "Transcript matches"})
        assert response.status_code == 302
        assert pending_request.teaching_subject.user.teaching_subjects.get().is_verified

    def test_document_is_served_to_owner_and_moderators_only_as_attachment(
        self, pending_request
    ) -> None:
        url = reverse("accounts:verification_document", args=[pending_request.pk])
        owner = pending_request.teaching_subject.user
        for client in (logged_in(owner), logged_in(make_moderator())):
            response = client.get(url)
            assert response.status_code == 200
            assert response["Content-Disposition"].startswith("attachment;")
            assert response.getvalue().startswith(b"%PDF")
            assert response["X-Content-Type-Options"] == "nosniff"
        assert DocumentAccessLog.objects.count() == 2
        assert logged_in(make_user()).get(url).status_code == 404
        assert Client().get(url).status_code == 302  # to the login page

    def test_documents_are_not_reachable_under_media(self, pending_request) -> None:
        name = pending_request.document.name
        for prefix in ("/media/", "/media/private/", "/static/", "/private/"):
            assert Client().get(prefix + name).status_code == 404
            assert logged_in(make_user()).get(prefix + name).status_code == 404

    def test_tutor_uploads_evidence_from_the_page(self) -> None:
        tutor = make_user()
        topic = make_subject()
        services.teaching_subject_set(actor=tutor, subject_id=topic.pk, proficiency="advanced")
        client = logged_in(tutor)
        response = client.post(
            reverse("accounts:verification_mine"),
            {"subject": topic.pk, "document": upload("t.png", png_bytes())},
        )
        assert response.status_code == 302
        response = client.post(
            reverse("accounts:verification_mine"),
            {"subject": topic.pk, "document": upload("t.pdf", b"not a pdf")},
        )
        assert "not accepted" in response.content.decode()


class TestSignUp:
    def test_signup_verification_links_the_institution_of_the_address(self) -> None:
        import re

        from django.core import mail

        from peerlearn.accounts.models import Institution, InstitutionDomain, User

        inst = Institution.objects.create(name="Sample University", slug="sample-u")
        InstitutionDomain.objects.create(institution=inst, domain="sample-u.edu")
        client = Client()
        response = client.post(
            "/accounts/signup/",
            {
                "email": "new@cs.sample-u.edu",
                "password1": "a-long-pass-phrase-9",
                "password2": "a-long-pass-phrase-9",
            },
        )
        assert response.status_code == 302
        (message,) = mail.outbox
        assert "Hello from PeerLearn" in message.body
        link = re.search(r"http://\S+/accounts/confirm-email/\S+/", str(message.body))
        assert link is not None
        path = "/" + link.group(0).split("/", 3)[3]
        assert client.post(path).status_code == 302
        user = User.objects.get(email="new@cs.sample-u.edu")
        assert user.profile.institution == inst
        assert user.emailaddress_set.get().verified  # type: ignore[attr-defined]
