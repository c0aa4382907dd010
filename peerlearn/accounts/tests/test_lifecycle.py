"""Suspension: who may, what it does (sign-in refused everywhere, sessions and tokens ended,
sockets closed, upcoming sessions cancelled with a notice), what lifting it restores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peerlearn.accounts import lifecycle
from peerlearn.accounts.audit import audit_for
from peerlearn.accounts.models import User
from peerlearn.api.tests.test_jwt import assert_refused, get_me, login, refresh
from peerlearn.common.errors import Conflict, Forbidden, ServiceError
from peerlearn.common.testing import (
    PASSWORD,
    make_admin,
    make_booking,
    make_moderator,
    make_tutor,
    make_user,
)
from peerlearn.notifications.models import Notification
from peerlearn.scheduling.models import Booking

pytestmark = pytest.mark.django_db

REASON = "Repeated harassment in messages, reported by three people."


def _suspend(user: User, admin: User | None = None) -> User:
    return lifecycle.user_suspend(actor=admin or make_admin(), user_id=user.pk, reason=REASON)


def _web_login(user: User) -> Any:
    return Client().post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


class TestWhoMaySuspend:
    def test_an_administrator_suspends_and_it_is_audited(self) -> None:
        admin, person = make_admin(), make_user()
        lifecycle.user_suspend(actor=admin, user_id=person.pk, reason=REASON)
        person.refresh_from_db()
        assert person.is_suspended and not person.is_active
        assert person.suspension_reason == REASON
        entry = audit_for(person).get()
        assert (entry.actor, entry.action, entry.reason) == (admin, "accounts.suspend", REASON)

    def test_a_moderator_or_a_learner_cannot(self) -> None:
        person = make_user()
        for actor in (make_moderator(), make_user()):
            with pytest.raises(Forbidden):
                lifecycle.user_suspend(actor=actor, user_id=person.pk, reason=REASON)
        person.refresh_from_db()
        assert person.is_active and not audit_for(person).exists()

    def test_it_needs_a_reason_and_refuses_twice_oneself_and_superusers(self) -> None:
        admin, person = make_admin(), make_user()
        with pytest.raises(ServiceError, match="reason"):
            lifecycle.user_suspend(actor=admin, user_id=person.pk, reason="  ")
        _suspend(person, admin)
        with pytest.raises(Conflict, match="already"):
            _suspend(person, admin)
        with pytest.raises(Conflict, match="yourself"):
            _suspend(admin, admin)
        root = User.objects.create_superuser(email="root@example.org", password="x")
        with pytest.raises(Conflict, match="superuser"):
            _suspend(root, admin)


class TestSignInIsRefused:
    def test_the_web_sign_in_shows_the_reason_and_how_to_appeal(self) -> None:
        person = make_user()
        _suspend(person)
        response = _web_login(person)
        assert response.status_code == 403
        text = response.content.decode()
        assert REASON in text and "support@" in text
        assert "_auth_user_id" not in Client().session

    def test_an_open_browser_session_ends_at_once(self) -> None:
        person = make_user()
        client = Client()
        client.force_login(person)
        page = reverse("accounts:profile_edit")
        assert client.get(page).status_code == 200
        _suspend(person)
        response = client.get(page)
        assert response.status_code == 302 and "login" in response["Location"]

    def test_api_tokens_and_their_refresh_stop_working(self) -> None:
        person = make_user()
        tokens = login(person)
        assert get_me(tokens["access_token"]).status_code == 200
        _suspend(person)
        assert_refused(get_me(tokens["access_token"]))
        assert refresh(tokens["refresh_token"]).status_code in {400, 401}
        response = Client().post(
            "/_allauth/app/v1/auth/login",
            {"email": person.email, "password": PASSWORD},
            content_type="application/json",
        )
        assert response.status_code in {400, 401}
        assert not response.json().get("meta", {}).get("access_token")


class TestUpcomingSessions:
    @pytest.fixture(autouse=True)
    def _commit_hooks_run(self, django_capture_on_commit_callbacks: Any) -> None:
        self.capture = django_capture_on_commit_callbacks

    def _suspend(self, user: User) -> None:
        with self.capture(execute=True):
            _suspend(user)

    def test_they_are_cancelled_and_the_other_side_told(self) -> None:
        tutor, learner = make_tutor(), make_user()
        future = make_booking(tutor, [learner], starts_in=timedelta(days=2))
        past = make_booking(
            tutor, [learner], starts_in=timedelta(days=-2), status=Booking.Status.COMPLETED
        )
        self._suspend(learner)
        future.refresh_from_db()
        past.refresh_from_db()
        assert future.status == Booking.Status.CANCELLED and not future.cancelled_late
        assert past.status == Booking.Status.COMPLETED
        told = Notification.objects.filter(user=tutor, kind="booking_cancelled").get()
        assert "suspended" in told.body
        assert not Notification.objects.filter(user=learner, kind="booking_cancelled").exists()

    def test_a_suspended_tutors_group_session_is_cancelled_for_every_learner(self) -> None:
        tutor, a, b = make_tutor(), make_user(), make_user()
        group = make_booking(tutor, [a, b], starts_in=timedelta(days=1))
        self._suspend(tutor)
        group.refresh_from_db()
        assert group.status == Booking.Status.CANCELLED
        assert Notification.objects.filter(user__in=[a, b], kind="booking_cancelled").count() == 2

    def test_a_suspended_learner_only_leaves_someone_elses_group_session(self) -> None:
        tutor, a, b = make_tutor(), make_user(), make_user()
        group = make_booking(tutor, [a, b], starts_in=timedelta(days=1))
        self._suspend(a)
        group.refresh_from_db()
        assert group.status == Booking.Status.CONFIRMED
        assert list(
            group.claims.filter(active=True, role="learner").values_list("user", flat=True)
        ) == [b.pk]


class TestUnsuspend:
    def test_it_restores_sign_in_only(self) -> None:
        admin, tutor, learner = make_admin(), make_tutor(), make_user()
        booking = make_booking(tutor, [learner], starts_in=timedelta(days=2))
        _suspend(learner, admin)
        lifecycle.user_unsuspend(actor=admin, user_id=learner.pk, reason="Appeal accepted.")
        learner.refresh_from_db()
        assert learner.is_active and not learner.is_suspended
        assert _web_login(learner).status_code == 302
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CANCELLED
        assert [e.action for e in audit_for(learner)][:1] == ["accounts.unsuspend"]

    def test_lifting_a_suspension_that_is_not_there_is_refused(self) -> None:
        with pytest.raises(Conflict):
            lifecycle.user_unsuspend(actor=make_admin(), user_id=make_user().pk, reason="x")
