"""Admin actions go through the services: a reason first, the change, its audit entry; an
object whose state forbids the change is explained and left alone; the wrong hands get nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from peerlearn.accounts import services
from peerlearn.accounts.audit import audit_for
from peerlearn.accounts.models import AuditEntry, User, VerificationRequest
from peerlearn.common.testing import (
    make_admin,
    make_booking,
    make_moderator,
    make_tutor,
    make_user,
    png_bytes,
    upload,
)
from peerlearn.forum.models import Status, Thread
from peerlearn.forum.tests.factories import make_thread
from peerlearn.matching.models import TutorDocument
from peerlearn.notifications.models import Notification
from peerlearn.practice.models import Submission
from peerlearn.practice.tests.factories import make_add_problem
from peerlearn.scheduling.models import Booking

pytestmark = pytest.mark.django_db

REASON = "Checked the evidence and the reports."


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _act(
    client: Client, model: type[Any], action: str, objects: list[Any], reason: str | None = REASON
) -> Any:
    """Choose ``action`` on the changelist; with a reason, confirm it on the intermediate page."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    data: dict[str, Any] = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects]}
    if reason is not None:
        data.update(confirm="1", reason=reason)
    return client.post(url, data, follow=True)


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


class TestSuspendFromTheAdmin:
    def test_it_asks_why_first_and_changes_nothing_until_then(self) -> None:
        person = make_user()
        client = _client(make_admin())
        url = reverse("admin:accounts_user_changelist")
        response = client.post(url, {"action": "suspend", ACTION_CHECKBOX_NAME: [person.pk]})
        assert response.status_code == 200
        assert b"Reason" in response.content and person.email.encode() in response.content
        person.refresh_from_db()
        assert person.is_active

    def test_with_a_reason_it_suspends_and_audits(self) -> None:
        admin, person = make_admin(), make_user()
        response = _act(_client(admin), User, "suspend", [person])
        assert any("done for 1 item" in m for m in _messages(response))
        person.refresh_from_db()
        assert person.is_suspended
        entry = audit_for(person).get()
        assert (entry.actor, entry.action, entry.reason) == (admin, "accounts.suspend", REASON)

    def test_an_empty_reason_is_asked_again(self) -> None:
        person = make_user()
        response = _act(_client(make_admin()), User, "suspend", [person], reason=" ")
        assert b"This field is required" in response.content
        person.refresh_from_db()
        assert person.is_active

    def test_a_forbidden_state_is_explained_per_object_and_the_rest_done(self) -> None:
        admin, already, fresh = make_admin(), make_user(), make_user()
        _act(_client(admin), User, "suspend", [already])
        response = _act(_client(admin), User, "suspend", [already, fresh])
        texts = _messages(response)
        assert any(already.email in m and "already suspended" in m for m in texts)
        assert any("done for 1 item" in m for m in texts)
        fresh.refresh_from_db()
        assert fresh.is_suspended
        assert audit_for(already).count() == 1

    def test_a_moderator_cannot_suspend_even_by_posting_the_action(self) -> None:
        person = make_user()
        response = _act(_client(make_moderator()), User, "suspend", [person])
        person.refresh_from_db()
        assert person.is_active
        assert not AuditEntry.objects.exists()
        assert response.status_code == 200


class TestServiceActions:
    def test_approving_verification_records_the_decision_and_the_audit(self) -> None:
        tutor = make_tutor()
        teaching = tutor.teaching_subjects.get()
        request = services.verification_submit(
            actor=tutor,
            subject_id=teaching.subject_id,
            upload=upload("proof.png", png_bytes(), "image/png"),
            note="",
        )
        moderator = make_moderator()
        _act(_client(moderator), VerificationRequest, "approve", [request])
        request.refresh_from_db()
        teaching.refresh_from_db()
        assert request.status == "approved" and teaching.verified_at is not None
        assert audit_for(request).get().action == "accounts.verification_approve"
        # A second decision is refused with the reason, and changes nothing.
        response = _act(_client(moderator), VerificationRequest, "reject", [request])
        assert any("already been decided" in m for m in _messages(response))
        assert audit_for(request).count() == 1

    def test_hiding_and_showing_a_thread(self) -> None:
        thread = make_thread()
        client = _client(make_moderator())
        _act(client, Thread, "thread_hide", [thread])
        thread.refresh_from_db()
        assert thread.status == Status.HIDDEN
        _act(client, Thread, "thread_unhide", [thread])
        thread.refresh_from_db()
        assert thread.status == Status.VISIBLE
        assert [e.action for e in audit_for(thread)] == ["forum.thread_unhide", "forum.thread_hide"]

    def test_cancelling_a_booking_tells_everyone_and_a_past_one_is_refused(
        self, django_capture_on_commit_callbacks: Any
    ) -> None:
        tutor, learner = make_tutor(), make_user()
        future = make_booking(tutor, [learner], starts_in=timedelta(days=3))
        done = make_booking(
            tutor, [learner], starts_in=timedelta(days=-3), status=Booking.Status.COMPLETED
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = _act(_client(make_admin()), Booking, "cancel_booking", [future, done])
        future.refresh_from_db()
        done.refresh_from_db()
        assert future.status == Booking.Status.CANCELLED
        assert done.status == Booking.Status.COMPLETED
        assert any("cannot cancel a session that is completed" in m for m in _messages(response))
        told = Notification.objects.filter(kind="booking_cancelled").values_list("user", flat=True)
        assert sorted(told) == sorted([tutor.pk, learner.pk])
        assert audit_for(future).get().reason == REASON

    def test_a_moderator_cannot_cancel_bookings(self) -> None:
        tutor, learner = make_tutor(), make_user()
        booking = make_booking(tutor, [learner], starts_in=timedelta(days=3))
        response = _client(make_moderator()).post(
            reverse("admin:scheduling_booking_changelist"),
            {"action": "cancel_booking", ACTION_CHECKBOX_NAME: [booking.pk], "confirm": "1"},
        )
        assert response.status_code == 403
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CONFIRMED

    def test_rejudging_queues_a_finished_submission_and_refuses_a_running_one(self) -> None:
        problem = make_add_problem()
        user = make_user()
        finished = Submission.objects.create(
            user=user,
            problem=problem,
            language="python",
            code="print(1)",
            mode="submit",
            status=Submission.Status.DONE,
            verdict=Submission.Verdict.WRONG_ANSWER,
        )
        running = Submission.objects.create(
            user=user,
            problem=problem,
            language="python",
            code="print(1)",
            mode="submit",
            status=Submission.Status.RUNNING,
        )
        response = _act(_client(make_admin()), Submission, "rejudge", [finished, running])
        entry = audit_for(finished).get()
        assert entry.data == {"previous_verdict": "wrong_answer"}
        assert any("still being judged" in m for m in _messages(response))
        assert not audit_for(running).exists()

    def test_rebuilding_a_tutors_search_document(self) -> None:
        tutor = make_tutor()
        TutorDocument.objects.filter(user=tutor).delete()
        _act(_client(make_admin()), User, "rebuild_search_document", [tutor], reason=None)
        assert TutorDocument.objects.filter(user=tutor).exists()
        assert audit_for(tutor).get().action == "matching.document_rebuild"

    def test_retraining_the_ranker_from_the_landing_page(self) -> None:
        response = _client(make_admin()).post(reverse("admin:retrain_ranker"), follow=True)
        assert response.status_code == 200
        assert AuditEntry.objects.filter(action="matching.ranker_retrain").count() == 1
        assert _client(make_moderator()).post(reverse("admin:retrain_ranker")).status_code == 403


class TestLandingPage:
    def test_it_shows_queue_sizes_and_what_needs_attention(self) -> None:
        make_thread()
        response = _client(make_admin()).get(reverse("admin:index"))
        assert response.status_code == 200
        queues = {item.label: item.count for item in response.context["queues"]}
        assert set(queues) == {
            "Verification requests",
            "Forum flags",
            "Review reports",
            "Message reports",
        }
        attention = {item.label for item in response.context["attention"]}
        assert "Stuck submissions" in attention and "Tasks failed in the last 24 h" in attention
        assert b"Find a person" in response.content

    def test_a_moderator_sees_the_queues_but_not_operations(self) -> None:
        response = _client(make_moderator()).get(reverse("admin:index"))
        assert response.status_code == 200
        assert len(response.context["queues"]) == 4
        labels = {item.label for item in response.context["attention"]}
        assert "Tasks failed in the last 24 h" not in labels
        assert b"Retrain the ranker" not in response.content

    def test_the_audit_view_lists_every_staff_action(self) -> None:
        admin, person = make_admin(), make_user()
        _act(_client(admin), User, "suspend", [person])
        response = _client(make_moderator()).get(reverse("admin:accounts_auditentry_changelist"))
        assert response.status_code == 200
        assert b"accounts.suspend" in response.content and REASON.encode() in response.content
