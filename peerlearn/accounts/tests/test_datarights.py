"""Export my data and delete my account: the archive, who may download it and for how long;
the grace period, its undo, and what deletion keeps consistent for everyone else."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts import datarights, services
from peerlearn.accounts.models import DataExport, User
from peerlearn.common.errors import Conflict, NotFound
from peerlearn.common.testing import (
    PASSWORD,
    make_booking,
    make_tutor,
    make_user,
    png_bytes,
    upload,
)
from peerlearn.forum.tests.factories import make_thread
from peerlearn.gamification.models import PointAward
from peerlearn.notifications.models import Notification
from peerlearn.scheduling.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    def run(call: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


def _signed_in(user: User) -> Client:
    """Signed in, and just confirmed the password again (allauth's reauthentication), as
    exporting and deleting require."""
    client = Client()
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    return client


class TestExport:
    def test_the_archive_holds_a_json_per_kind_and_the_persons_files(self, run_on_commit) -> None:
        tutor = make_tutor()
        services.avatar_set(
            actor=tutor, user=tutor, upload=upload("me.png", png_bytes(), "image/png")
        )
        make_thread(author=tutor, title="Graph colouring question")
        export = run_on_commit(lambda: datarights.data_export_request(actor=tutor))
        export.refresh_from_db()
        assert export.status == DataExport.Status.READY and export.expires_at > timezone.now()
        with export.archive.open("rb") as handle:
            archive = zipfile.ZipFile(io.BytesIO(handle.read()))
        names = set(archive.namelist())
        assert {"account.json", "profile.json", "forum_threads.json", "bookings.json"} <= names
        assert any(n.startswith("files/avatar/") for n in names)
        account = json.loads(archive.read("account.json"))
        assert account[0]["email"] == tutor.email
        threads = json.loads(archive.read("forum_threads.json"))
        assert [t["title"] for t in threads] == ["Graph colouring question"]
        ready = Notification.objects.get(user=tutor, kind="account")
        assert ready.url == reverse("accounts:account_data")

    def test_only_the_owner_downloads_it_and_only_until_it_expires(self, run_on_commit) -> None:
        owner, other = make_user(), make_user()
        export = run_on_commit(lambda: datarights.data_export_request(actor=owner))
        url = reverse("accounts:account_export_download", args=[export.pk])
        mine = _signed_in(owner).get(url)
        assert mine.status_code == 200 and mine["Content-Disposition"].startswith("attachment")
        assert _signed_in(other).get(url).status_code == 404
        assert Client().get(url).status_code == 302
        with time_machine.travel(timezone.now() + timedelta(hours=73)):
            assert datarights.data_exports_expire() == 1
            assert _signed_in(owner).get(url).status_code == 404
        export.refresh_from_db()
        assert export.status == DataExport.Status.EXPIRED and not export.archive

    def test_one_export_at_a_time(self) -> None:
        user = make_user()
        datarights.data_export_request(actor=user)  # its task has not run (not committed)
        with pytest.raises(Conflict):
            datarights.data_export_request(actor=user)

    def test_asking_needs_a_recent_sign_in(self) -> None:
        user = make_user()
        client = Client()
        client.force_login(user)  # a session, but no recent authentication
        response = client.post(reverse("accounts:account_export"))
        assert response.status_code == 302 and "reauthenticate" in response["Location"]
        assert not DataExport.objects.exists()
        response = _signed_in(user).post(reverse("accounts:account_export"))
        assert response.status_code == 302 and DataExport.objects.filter(user=user).exists()


class TestDeletion:
    def test_it_is_scheduled_with_a_grace_period_and_can_be_undone(self) -> None:
        user = make_user()
        client = _signed_in(user)
        client.post(reverse("accounts:account_delete"))
        user.refresh_from_db()
        assert user.deletion_due_at is not None
        assert user.deletion_due_at - timezone.now() > timedelta(days=13)
        assert b"will be deleted on" in client.get(reverse("accounts:account_data")).content
        assert datarights.account_delete(user_id=user.pk) is None  # not due yet
        client.post(reverse("accounts:account_delete_cancel"))
        user.refresh_from_db()
        assert user.deletion_due_at is None
        with pytest.raises(Conflict):
            datarights.account_deletion_cancel(actor=user)

    def test_when_due_it_anonymises_and_keeps_others_records(self, run_on_commit) -> None:
        tutor, learner = make_tutor(), make_user(display_name="Lee Learner")
        profile = services.avatar_set(
            actor=learner, user=learner, upload=upload("me.png", png_bytes(), "image/png")
        )
        avatar = profile.avatar.name
        assert avatar
        upcoming = make_booking(tutor, [learner], starts_in=timedelta(days=20))
        thread = make_thread(author=learner, title="Kept for others")
        PointAward.objects.create(
            user=learner, cause="test", object_id=1, points=5, title="x", earned_at=timezone.now()
        )
        datarights.account_deletion_request(actor=learner)
        with time_machine.travel(timezone.now() + timedelta(days=15)):
            assert run_on_commit(datarights.accounts_delete_due) == 1
        learner = User.objects.select_related("profile").get(pk=learner.pk)
        assert learner.deleted_at is not None and not learner.is_active
        assert learner.email.endswith("@deleted.invalid") and not learner.has_usable_password()
        assert learner.display_name == datarights.FORMER_MEMBER
        assert not learner.profile.avatar
        from django.core.files.storage import default_storage

        assert not default_storage.exists(avatar)
        thread.refresh_from_db()
        assert thread.author_id == learner.pk and thread.title == "Kept for others"
        assert PointAward.objects.filter(user=learner).count() == 1  # the ledger stays whole
        upcoming.refresh_from_db()
        assert upcoming.status == Booking.Status.CANCELLED
        assert Notification.objects.filter(user=tutor, kind="booking_cancelled").exists()
        assert datarights.account_delete(user_id=learner.pk) is None  # done once

    def test_the_email_address_can_sign_up_again(self, run_on_commit) -> None:
        user = make_user("leaving@example.org")
        datarights.account_deletion_request(actor=user)
        with time_machine.travel(timezone.now() + timedelta(days=15)):
            run_on_commit(datarights.accounts_delete_due)
        response = Client().post(
            reverse("account_signup"),
            {"email": "leaving@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )
        assert response.status_code == 302
        assert User.objects.filter(email="leaving@example.org").exclude(pk=user.pk).exists()

    def test_a_deleted_account_cannot_download_anything(self) -> None:
        with pytest.raises(NotFound):
            datarights.access_data_export(user=make_user(), export_id=12345)
