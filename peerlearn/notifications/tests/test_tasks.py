"""Delivery tasks: idempotent, retry-safe, and a real SMTP server receiving the email."""

from __future__ import annotations

import email
import socket
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import icalendar
import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.core import mail

from peerlearn.common.testing import make_user
from peerlearn.notifications import services, tasks
from peerlearn.notifications.models import Notification
from peerlearn.notifications.services import notify

from .factories import INVITE, make_notification

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def opt_in(user: Any, *, email_enabled: bool = True) -> None:
    services.notification_settings_update(
        actor=user,
        phone_number="+4915123456789",
        sms_opt_in=True,
        reminder_offsets_minutes=[60],
        email_enabled=email_enabled,
    )


class TestDeliverEmail:
    def test_a_retried_task_does_not_send_twice(self):
        n = make_notification(make_user())
        assert tasks.deliver_email.call(n.pk) is True
        assert tasks.deliver_email.call(n.pk) is False
        tasks.deliver_email.enqueue(n.pk)
        assert len(mail.outbox) == 1
        n.refresh_from_db()
        assert n.emailed_at is not None

    def test_a_failed_send_can_be_retried(self, settings):
        n = make_notification(make_user())
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
        settings.EMAIL_TIMEOUT = 2
        with pytest.raises(OSError):
            tasks.deliver_email.call(n.pk)
        n.refresh_from_db()
        assert n.emailed_at is None  # the claim was released
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert tasks.deliver_email.call(n.pk) is True
        assert len(mail.outbox) == 1

    def test_it_respects_email_turned_off_after_it_was_queued(self):
        user = make_user()
        n = make_notification(user)
        services.notification_settings_update(
            actor=user,
            phone_number="",
            sms_opt_in=False,
            reminder_offsets_minutes=[],
            email_enabled=False,
        )
        assert tasks.deliver_email.call(n.pk) is False
        assert mail.outbox == []

    def test_a_deleted_notification_is_skipped(self):
        n = make_notification(make_user())
        n.delete()
        assert tasks.deliver_email.call(n.pk) is False
        assert tasks.deliver_sms.call(n.pk) is False

    def test_attachments_travel_as_json_through_the_task_queue(self):
        n = make_notification(make_user())
        result = tasks.deliver_email.enqueue(n.pk, [INVITE])
        assert result.args == [n.pk, [INVITE]]
        assert mail.outbox[0].attachments[0][0] == "invite.ics"


class TestDeliverSms:
    def test_a_retried_task_does_not_text_twice(self, sms_outbox):
        user = make_user()
        opt_in(user)
        n = make_notification(user, kind="booking_reminder")
        assert tasks.deliver_sms.call(n.pk) is True
        assert tasks.deliver_sms.call(n.pk) is False
        assert len(sms_outbox) == 1
        n.refresh_from_db()
        assert n.texted_at is not None

    def test_it_respects_an_opt_out_after_it_was_queued(self, sms_outbox):
        user = make_user()
        n = make_notification(user, kind="booking_reminder")
        assert tasks.deliver_sms.call(n.pk) is False
        assert sms_outbox == []

    def test_the_text_has_title_body_and_link(self, sms_outbox):
        user = make_user()
        opt_in(user)
        n = make_notification(
            user,
            kind="booking_reminder",
            title="Session at 15:00",
            body="Graphs.",
            url="/sessions/7/",
        )
        tasks.deliver_sms.call(n.pk)
        assert sms_outbox[0].body == (
            f"PeerLearn: Session at 15:00\nGraphs.\n{django_settings.SITE_URL}/sessions/7/"
        )

    def test_a_long_text_is_shortened_but_keeps_its_link(self):
        n = Notification(title="T", body="x" * 2000, url="/sessions/7/")
        text = tasks.sms_text(n)
        assert len(text) <= tasks.SMS_MAX_CHARS
        assert text.endswith(f"…\n{django_settings.SITE_URL}/sessions/7/")


class RecordingHandler:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class TestRealSmtp:
    def test_a_real_smtp_server_receives_text_html_and_the_invitation(
        self, settings, django_capture_on_commit_callbacks
    ):
        handler = RecordingHandler()
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
            settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
            settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
            settings.EMAIL_TIMEOUT = 10
            user = make_user("ada@example.org", display_name="Ada")
            with django_capture_on_commit_callbacks(execute=True):
                n = notify(
                    user=user,
                    kind="booking_confirmed",
                    title="Your session is confirmed",
                    body="Graphs with Tess, 10 March 14:00 UTC.",
                    url="/sessions/42/",
                    attachments=[INVITE],
                )
        finally:
            controller.stop()

        assert len(handler.envelopes) == 1
        envelope = handler.envelopes[0]
        assert envelope.rcpt_tos == ["ada@example.org"]
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        assert message.get_content_type() == "multipart/mixed"
        assert message["Subject"] == "[PeerLearn] Your session is confirmed"

        link = f"{django_settings.SITE_URL}/sessions/42/"
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert text is not None and html is not None
        assert "Graphs with Tess" in text.get_content() and link in text.get_content()
        assert f'href="{link}"' in html.get_content()

        invitations = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
        assert len(invitations) == 1
        invitation = invitations[0]
        assert invitation.get_content_type() == "text/calendar"
        assert invitation.get_param("method") == "REQUEST"
        calendar = icalendar.Calendar.from_ical(invitation.get_content())
        assert str(calendar["METHOD"]) == "REQUEST"
        events = calendar.walk("VEVENT")
        assert [str(e["UID"]) for e in events] == ["booking-42@peerlearn.test"]

        n.refresh_from_db()
        assert n.emailed_at is not None
