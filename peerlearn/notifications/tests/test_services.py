from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from peerlearn.common.errors import NotFound, ServiceError
from peerlearn.common.testing import make_user
from peerlearn.notifications import live, services
from peerlearn.notifications.models import Notification, NotificationSettings
from peerlearn.notifications.services import notify

from .factories import ICS, INVITE, make_notification

pytestmark = pytest.mark.django_db


def opted_in(user: Any, phone: str = "+4915123456789") -> None:
    services.notification_settings_update(
        actor=user,
        phone_number=phone,
        sms_opt_in=True,
        reminder_offsets_minutes=[1440, 60],
        email_enabled=True,
    )


def booking_reminder(user: Any, **kwargs: Any) -> Notification:
    values: dict[str, Any] = {
        "user": user,
        "kind": "booking_reminder",
        "title": "Your session starts in 1 hour",
        "body": "Graphs with Ada at 15:00.",
        "url": "/sessions/42/",
    }
    values.update(kwargs)
    return notify(**values)


class TestNotify:
    def test_it_stores_an_unread_in_app_notification(self, django_capture_on_commit_callbacks):
        user = make_user()
        with django_capture_on_commit_callbacks(execute=True):
            n = booking_reminder(user, email=False)
        n.refresh_from_db()
        assert n.user == user
        assert n.kind == Notification.Kind.BOOKING_REMINDER
        assert (n.title, n.body, n.url) == (
            "Your session starts in 1 hour",
            "Graphs with Ada at 15:00.",
            "/sessions/42/",
        )
        assert n.read_at is None and n.emailed_at is None and n.texted_at is None
        assert n.absolute_url == f"{django_settings.SITE_URL}/sessions/42/"

    def test_nothing_is_delivered_before_the_transaction_commits(
        self, django_capture_on_commit_callbacks
    ):
        user = make_user()
        opted_in(user)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            booking_reminder(user, sms=True)
        assert mail.outbox == []
        assert len(callbacks) == 3  # email, SMS, live

    def test_a_rolled_back_change_sends_nothing(
        self, django_capture_on_commit_callbacks, sms_outbox
    ):
        user = make_user()
        opted_in(user)
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            booking_reminder(user, sms=True)
            raise RuntimeError("the booking failed")
        assert callbacks == []
        assert mail.outbox == [] and sms_outbox == []
        assert not Notification.objects.exists()

    def test_it_emails_html_and_text_with_the_attachment(self, django_capture_on_commit_callbacks):
        user = make_user("learner@example.org", display_name="Lena")
        with django_capture_on_commit_callbacks(execute=True):
            n = booking_reminder(user, attachments=[INVITE])
        assert len(mail.outbox) == 1
        message: Any = mail.outbox[0]
        assert message.to == ["learner@example.org"]
        assert message.subject == "[PeerLearn] Your session starts in 1 hour"
        link = f"{django_settings.SITE_URL}/sessions/42/"
        assert "Hello Lena" in message.body and "Graphs with Ada at 15:00." in message.body
        assert link in message.body
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert f'href="{link}"' in html and "Graphs with Ada at 15:00." in html
        assert len(message.attachments) == 1
        filename, content, attachment_type = message.attachments[0]
        assert filename == "invite.ics"
        assert attachment_type == "text/calendar; method=REQUEST"
        assert content == ICS
        n.refresh_from_db()
        assert n.emailed_at is not None

    def test_the_email_body_is_escaped_in_html(self, django_capture_on_commit_callbacks):
        user = make_user()
        with django_capture_on_commit_callbacks(execute=True):
            booking_reminder(user, title="<b>Hi</b>", body="<script>alert(1)</script>")
        message: Any = mail.outbox[0]
        html = message.alternatives[0][0]
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert "<b>Hi</b>" not in html

    def test_it_sends_no_email_when_the_caller_asks_for_none(
        self, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            booking_reminder(make_user(), email=False)
        assert mail.outbox == []

    def test_it_sends_no_email_to_someone_who_turned_email_off(
        self, django_capture_on_commit_callbacks
    ):
        user = make_user()
        services.notification_settings_update(
            actor=user,
            phone_number="",
            sms_opt_in=False,
            reminder_offsets_minutes=[60],
            email_enabled=False,
        )
        with django_capture_on_commit_callbacks(execute=True):
            n = booking_reminder(user)
        assert mail.outbox == []
        assert Notification.objects.filter(pk=n.pk, emailed_at__isnull=True).exists()

    def test_it_texts_only_people_who_opted_in_with_a_number(
        self, django_capture_on_commit_callbacks, sms_outbox
    ):
        never_asked = make_user()
        number_only = make_user()
        services.notification_settings_update(
            actor=number_only,
            phone_number="+4915100000001",
            sms_opt_in=False,
            reminder_offsets_minutes=[60],
            email_enabled=True,
        )
        opted = make_user()
        opted_in(opted, "+4915100000002")
        with django_capture_on_commit_callbacks(execute=True):
            for user in (never_asked, number_only, opted):
                booking_reminder(user, sms=True, email=False)
        assert [(m.to, m.body.splitlines()[0]) for m in sms_outbox] == [
            ("+4915100000002", "PeerLearn: Your session starts in 1 hour")
        ]
        assert Notification.objects.get(user=opted).texted_at is not None
        assert Notification.objects.get(user=number_only).texted_at is None

    def test_it_does_not_text_when_the_caller_does_not_ask(
        self, django_capture_on_commit_callbacks, sms_outbox
    ):
        user = make_user()
        opted_in(user)
        with django_capture_on_commit_callbacks(execute=True):
            booking_reminder(user)
        assert sms_outbox == []

    def test_it_publishes_live_after_commit(self, django_capture_on_commit_callbacks, monkeypatch):
        published: list[Notification] = []
        monkeypatch.setattr(live, "publish", published.append)
        with django_capture_on_commit_callbacks(execute=True):
            n = booking_reminder(make_user(), email=False)
        assert published == [n]

    def test_a_failing_live_publish_does_not_break_delivery(
        self, django_capture_on_commit_callbacks, monkeypatch
    ):
        def broken(notification: Notification) -> None:
            raise ConnectionError("channel layer down")

        monkeypatch.setattr(live, "publish", broken)
        with django_capture_on_commit_callbacks(execute=True):
            booking_reminder(make_user())
        assert len(mail.outbox) == 1

    def test_inactive_users_get_the_notification_but_no_email(
        self, django_capture_on_commit_callbacks
    ):
        user = make_user()
        user.is_active = False
        user.save()
        with django_capture_on_commit_callbacks(execute=True):
            booking_reminder(user)
        assert mail.outbox == []
        assert Notification.objects.filter(user=user).count() == 1

    @pytest.mark.parametrize(
        "url",
        ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "sessions/1/", "/a b"],
    )
    def test_it_refuses_a_link_that_is_not_a_path_on_this_site(self, url: str):
        with pytest.raises(ServiceError) as exc:
            booking_reminder(make_user(), url=url)
        assert exc.value.field == "url"
        assert not Notification.objects.exists()

    def test_it_refuses_an_unknown_kind(self):
        with pytest.raises(ServiceError) as exc:
            booking_reminder(make_user(), kind="carrier_pigeon")
        assert exc.value.field == "kind"

    @pytest.mark.parametrize(
        "attachment",
        [
            {"filename": "invite.ics", "content": b"bytes", "mimetype": "text/calendar"},
            {"filename": "invite.ics", "content": "x"},
            {"filename": "", "content": "x", "mimetype": "text/calendar"},
            {"filename": "a.txt", "content": "x", "mimetype": "text"},
            ("invite.ics", "x", "text/calendar"),
        ],
    )
    def test_it_refuses_an_attachment_that_is_not_a_text_file(self, attachment: Any):
        with pytest.raises(ServiceError) as exc:
            booking_reminder(make_user(), attachments=[attachment])
        assert exc.value.field == "attachments"

    def test_it_refuses_an_empty_title_and_shortens_a_long_one(self):
        with pytest.raises(ServiceError) as exc:
            booking_reminder(make_user(), title="   ")
        assert exc.value.field == "title"
        n = booking_reminder(make_user(), title="word " * 100, email=False)
        assert len(n.title) == 200 and n.title.endswith("…")

    def test_every_kind_the_product_needs_exists(self):
        needed = {
            "booking_request",
            "booking_confirmed",
            "booking_declined",
            "booking_countered",
            "booking_changed",
            "booking_cancelled",
            "booking_reminder",
            "verification_decision",
            "review_request",
            "reply",
            "mention",
            "message",
            "help_request",
            "badge",
        }
        assert needed <= set(Notification.Kind.values)

    def test_the_database_refuses_a_link_to_another_site(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            make_notification(make_user(), url="//evil.example/")


class TestMarkRead:
    def test_it_marks_one_read_and_keeps_the_first_time(self):
        user = make_user()
        n = make_notification(user)
        first = services.notification_mark_read(actor=user, notification_id=n.pk)
        assert first.read_at is not None
        again = services.notification_mark_read(actor=user, notification_id=n.pk)
        assert again.read_at == first.read_at

    def test_it_refuses_someone_elses_notification_as_not_found(self):
        owner, other = make_user(), make_user()
        n = make_notification(owner)
        with pytest.raises(NotFound):
            services.notification_mark_read(actor=other, notification_id=n.pk)
        n.refresh_from_db()
        assert n.read_at is None

    def test_mark_all_read_touches_only_the_actors_unread_ones(self):
        user, other = make_user(), make_user()
        already = make_notification(user, read_at=timezone.now() - timedelta(days=1))
        make_notification(user)
        make_notification(user)
        theirs = make_notification(other)
        assert services.notifications_mark_all_read(actor=user) == 2
        assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
        assert Notification.objects.get(pk=theirs.pk).read_at is None
        assert Notification.objects.get(pk=already.pk).read_at == already.read_at


class TestSettings:
    def test_settings_for_creates_the_defaults_once(self):
        user = make_user()
        prefs = services.settings_for(user)
        assert prefs.reminder_offsets_minutes == [1440, 60]
        assert prefs.email_enabled is True and prefs.sms_opt_in is False
        assert prefs.phone_number == ""
        assert services.settings_for(user).pk == prefs.pk
        assert NotificationSettings.objects.filter(user=user).count() == 1

    def test_it_normalizes_the_number_and_the_reminder_times(self):
        user = make_user()
        prefs = services.notification_settings_update(
            actor=user,
            phone_number=" +49 (151) 2345-6789 ",
            sms_opt_in=True,
            reminder_offsets_minutes=[60, 1440, 60, 15],
            email_enabled=False,
        )
        prefs.refresh_from_db()
        assert prefs.phone_number == "+4915123456789"
        assert prefs.reminder_offsets_minutes == [1440, 60, 15]
        assert prefs.sms_opt_in is True and prefs.email_enabled is False

    def test_a_leading_00_becomes_a_plus_and_no_reminders_is_allowed(self):
        user = make_user()
        prefs = services.notification_settings_update(
            actor=user,
            phone_number="0044 7700 900123",
            sms_opt_in=False,
            reminder_offsets_minutes=[],
            email_enabled=True,
        )
        assert prefs.phone_number == "+447700900123"
        assert prefs.reminder_offsets_minutes == []

    @pytest.mark.parametrize(
        "phone", ["12345678", "+0123456789", "+49abc1234567", "+1234567890123456", "+12"]
    )
    def test_it_refuses_a_number_that_is_not_international(self, phone: str):
        with pytest.raises(ServiceError) as exc:
            services.notification_settings_update(
                actor=make_user(),
                phone_number=phone,
                sms_opt_in=False,
                reminder_offsets_minutes=[60],
                email_enabled=True,
            )
        assert (exc.value.field, exc.value.code) == ("phone_number", "invalid_phone_number")

    def test_text_messages_need_a_number(self):
        with pytest.raises(ServiceError) as exc:
            services.notification_settings_update(
                actor=make_user(),
                phone_number="",
                sms_opt_in=True,
                reminder_offsets_minutes=[60],
                email_enabled=True,
            )
        assert (exc.value.field, exc.value.code) == ("phone_number", "phone_number_required")
        assert "phone number" in exc.value.message

    @pytest.mark.parametrize(
        ("offsets", "code"),
        [
            ([4], "invalid_reminders"),
            ([10081], "invalid_reminders"),
            ([True], "invalid_reminders"),
            (["60"], "invalid_reminders"),
            ([60.5], "invalid_reminders"),
            ("60", "invalid_reminders"),
            ([5, 15, 60, 180, 1440, 2880], "too_many_reminders"),
        ],
    )
    def test_it_refuses_bad_reminder_times(self, offsets: Any, code: str):
        user = make_user()
        with pytest.raises(ServiceError) as exc:
            services.notification_settings_update(
                actor=user,
                phone_number="",
                sms_opt_in=False,
                reminder_offsets_minutes=offsets,
                email_enabled=True,
            )
        assert (exc.value.field, exc.value.code) == ("reminder_offsets_minutes", code)

    def test_the_limits_themselves_are_allowed(self):
        prefs = services.notification_settings_update(
            actor=make_user(),
            phone_number="",
            sms_opt_in=False,
            reminder_offsets_minutes=[5, 10080, 5, 5, 5, 5, 5],
            email_enabled=True,
        )
        assert prefs.reminder_offsets_minutes == [10080, 5]

    def test_the_database_refuses_sms_opt_in_without_a_number(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            NotificationSettings.objects.create(user=make_user(), sms_opt_in=True)
