"""Preferences per kind × channel: honoured by notify() and the tasks, edited on the settings
page and through the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from peerlearn.common.errors import ServiceError
from peerlearn.common.testing import make_user
from peerlearn.notifications import live, services, tasks
from peerlearn.notifications.forms import pref_field_name
from peerlearn.notifications.models import (
    KIND_GROUPS,
    SMS_KINDS,
    Notification,
    NotificationSettings,
    channels_for,
)
from peerlearn.notifications.services import notify

pytestmark = pytest.mark.django_db

SETTINGS = reverse("notifications:settings")
API = "/api/v1/me/notification-preferences"


def opted_in(user: Any, *, email_enabled: bool = True) -> None:
    services.notification_settings_update(
        actor=user,
        phone_number="+4915123456789",
        sms_opt_in=True,
        reminder_offsets_minutes=[60],
        email_enabled=email_enabled,
    )


def mute(user: Any, **switches: dict[str, bool]) -> None:
    services.notification_preferences_update(actor=user, digest_enabled=True, preferences=switches)


def send(user: Any, kind: str = "message", **kwargs: Any) -> Notification:
    values: dict[str, Any] = {"user": user, "kind": kind, "title": "Hi", "body": "Body."}
    values.update(kwargs)
    return notify(**values)


@pytest.fixture
def published(monkeypatch) -> list[Notification]:
    calls: list[Notification] = []
    monkeypatch.setattr(live, "publish", calls.append)
    return calls


class TestDefaults:
    def test_every_kind_is_in_exactly_one_group(self):
        grouped = [k for _g, kinds in KIND_GROUPS for k in kinds]
        assert sorted(grouped) == sorted(Notification.Kind.values)
        assert [g for g, _k in KIND_GROUPS] == [
            "Sessions",
            "Reviews",
            "Discussions",
            "Messages",
            "Practice & badges",
            "Account",
        ]

    def test_everything_is_on_by_default_and_sms_only_for_reminders(self):
        prefs = NotificationSettings()
        for kind in Notification.Kind.values:
            assert prefs.wants(kind, "in_app") and prefs.wants(kind, "email")
            assert prefs.wants(kind, "sms") is (kind in SMS_KINDS)
        assert {"booking_reminder"} == SMS_KINDS
        assert prefs.digest_enabled is True and prefs.channel_overrides == {}


class TestNotifyHonoursPreferences:
    def test_in_app_off_stores_it_read_and_does_not_push(
        self, published, django_capture_on_commit_callbacks
    ):
        user = make_user()
        mute(user, message={"in_app": False})
        with django_capture_on_commit_callbacks(execute=True):
            muted = send(user, "message")
            other = send(user, "reply")
        muted.refresh_from_db()
        other.refresh_from_db()
        assert muted.read_at is not None and muted.read_at == muted.created_at
        assert other.read_at is None
        assert published == [other]
        assert len(mail.outbox) == 2  # email is a separate switch

    def test_email_off_for_a_kind_sends_no_email_but_keeps_the_bell(
        self, published, django_capture_on_commit_callbacks
    ):
        user = make_user()
        mute(user, reply={"email": False})
        with django_capture_on_commit_callbacks(execute=True):
            quiet = send(user, "reply")
            loud = send(user, "mention")
        quiet.refresh_from_db()
        assert quiet.emailed_at is None and quiet.read_at is None
        assert published == [quiet, loud]
        assert [m.subject for m in mail.outbox] == ["[PeerLearn] Hi"]
        assert mail.outbox[0].to == [user.email]

    def test_the_master_email_switch_still_wins(self, django_capture_on_commit_callbacks):
        user = make_user()
        services.notification_settings_update(
            actor=user,
            phone_number="",
            sms_opt_in=False,
            reminder_offsets_minutes=[60],
            email_enabled=False,
        )
        with django_capture_on_commit_callbacks(execute=True):
            send(user, "mention")
        assert mail.outbox == []

    def test_sms_off_for_reminders(self, sms_outbox, django_capture_on_commit_callbacks):
        user = make_user()
        opted_in(user)
        mute(user, booking_reminder={"sms": False})
        with django_capture_on_commit_callbacks(execute=True):
            n = send(user, "booking_reminder", sms=True, email=False)
        n.refresh_from_db()
        assert sms_outbox == [] and n.texted_at is None and n.read_at is None

    def test_sms_on_for_reminders(self, sms_outbox, django_capture_on_commit_callbacks):
        user = make_user()
        opted_in(user)
        with django_capture_on_commit_callbacks(execute=True):
            send(user, "booking_reminder", sms=True, email=False)
        assert len(sms_outbox) == 1

    def test_sms_is_never_sent_for_a_kind_without_sms(
        self, sms_outbox, django_capture_on_commit_callbacks
    ):
        user = make_user()
        opted_in(user)
        with django_capture_on_commit_callbacks(execute=True):
            send(user, "message", sms=True, email=False)
        assert sms_outbox == []

    def test_everything_off_still_keeps_a_read_record(
        self, published, sms_outbox, django_capture_on_commit_callbacks
    ):
        user = make_user()
        opted_in(user)
        mute(user, booking_reminder={"in_app": False, "email": False, "sms": False})
        with django_capture_on_commit_callbacks(execute=True):
            n = send(user, "booking_reminder", sms=True)
        n.refresh_from_db()
        assert n.read_at is not None
        assert (published, mail.outbox, sms_outbox) == ([], [], [])

    def test_the_plan_is_one_function(self):
        user = make_user()
        opted_in(user)
        mute(user, message={"email": False})
        plan = services.delivery_plan(user, "message", email=True, sms=True)
        assert plan == {"in_app": True, "email": False, "sms": False}
        plan = services.delivery_plan(user, "booking_reminder", email=True, sms=True)
        assert plan == {"in_app": True, "email": True, "sms": True}
        plan = services.delivery_plan(user, "booking_reminder", email=False, sms=False)
        assert plan == {"in_app": True, "email": False, "sms": False}


class TestTasksRecheck:
    def test_email_switched_off_after_queueing_sends_nothing(self):
        user = make_user()
        n = Notification.objects.create(user=user, kind="reply", title="T")
        mute(user, reply={"email": False})
        assert tasks.deliver_email.call(n.pk) is False
        assert mail.outbox == []
        n.refresh_from_db()
        assert n.emailed_at is None

    def test_sms_switched_off_after_queueing_sends_nothing(self, sms_outbox):
        user = make_user()
        opted_in(user)
        n = Notification.objects.create(user=user, kind="booking_reminder", title="T")
        mute(user, booking_reminder={"sms": False})
        assert tasks.deliver_sms.call(n.pk) is False
        assert sms_outbox == []


class TestUpdateService:
    def test_only_off_switches_are_stored(self):
        user = make_user()
        prefs = services.notification_preferences_update(
            actor=user,
            digest_enabled=False,
            preferences={
                "message": {"in_app": True, "email": False},
                "booking_reminder": {"sms": False},
                "reply": {"email": True},
            },
        )
        prefs.refresh_from_db()
        assert prefs.channel_overrides == {
            "message": {"email": False},
            "booking_reminder": {"sms": False},
        }
        assert prefs.digest_enabled is False

    def test_it_replaces_earlier_switches(self):
        user = make_user()
        mute(user, message={"email": False})
        mute(user, reply={"in_app": False})
        prefs = NotificationSettings.objects.get(user=user)
        assert prefs.channel_overrides == {"reply": {"in_app": False}}

    def test_it_keeps_the_delivery_settings(self):
        user = make_user()
        opted_in(user, email_enabled=False)
        mute(user, message={"email": False})
        prefs = NotificationSettings.objects.get(user=user)
        assert prefs.phone_number == "+4915123456789" and prefs.sms_opt_in
        assert prefs.email_enabled is False and prefs.reminder_offsets_minutes == [60]

    @pytest.mark.parametrize(
        ("preferences", "code"),
        [
            ({"nonsense": {"email": False}}, "invalid_kind"),
            ({"message": {"sms": False}}, "invalid_channel"),
            ({"message": {"pigeon": False}}, "invalid_channel"),
            ({"message": {"email": "no"}}, "invalid"),
            ({"message": ["email"]}, "invalid"),
        ],
    )
    def test_it_refuses_bad_switches(self, preferences, code):
        with pytest.raises(ServiceError) as exc:
            services.notification_preferences_update(
                actor=make_user(), digest_enabled=True, preferences=preferences
            )
        assert exc.value.code == code


def full_form(**overrides: Any) -> dict[str, Any]:
    """The settings page as a browser posts it with everything ticked."""
    data: dict[str, Any] = {
        "grid": "True",
        "phone_number": "",
        "reminder_offsets_minutes": ["1440", "60"],
        "email_enabled": "on",
        "digest_enabled": "on",
    }
    for _group, kinds in KIND_GROUPS:
        for kind in kinds:
            for channel in channels_for(kind):
                data[pref_field_name(kind, channel)] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class TestSettingsPage:
    def client(self, user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def test_it_shows_the_grid_by_group_with_sms_only_for_reminders(self):
        user = make_user()
        body = self.client(user).get(SETTINGS).content.decode()
        for group in ["Sessions", "Reviews", "Discussions", "Messages", "Practice &amp; badges"]:
            assert group in body
        assert 'name="pref_message_in_app"' in body and 'name="pref_message_email"' in body
        assert 'name="pref_message_sms"' not in body
        assert 'name="pref_booking_reminder_sms"' in body
        assert 'name="digest_enabled"' in body and 'name="phone_number"' in body
        assert "notifications/notifications.css" in body

    def test_the_boxes_show_the_saved_switches(self):
        user = make_user()
        mute(user, message={"email": False})
        form = self.client(user).get(SETTINGS).context["form"]
        assert form["pref_message_email"].value() is False
        assert form["pref_message_in_app"].value() is True

    def test_saving_unticked_boxes_switches_them_off(self):
        user = make_user()
        response = self.client(user).post(
            SETTINGS,
            full_form(pref_message_email=None, pref_booking_reminder_sms=None, digest_enabled=None),
        )
        assert response.status_code == 302
        prefs = NotificationSettings.objects.get(user=user)
        assert prefs.channel_overrides == {
            "message": {"email": False},
            "booking_reminder": {"sms": False},
        }
        assert prefs.digest_enabled is False and prefs.email_enabled is True

    def test_a_post_without_the_grid_keeps_the_switches(self):
        user = make_user()
        mute(user, message={"email": False})
        data = {k: v for k, v in full_form().items() if not k.startswith("pref_")}
        del data["grid"]
        response = self.client(user).post(SETTINGS, data)
        assert response.status_code == 302
        prefs = NotificationSettings.objects.get(user=user)
        assert prefs.channel_overrides == {"message": {"email": False}}

    def test_a_bad_phone_number_saves_nothing(self):
        user = make_user()
        response = self.client(user).post(
            SETTINGS, full_form(phone_number="12", pref_message_email=None)
        )
        assert response.status_code == 200
        assert not NotificationSettings.objects.filter(
            user=user, channel_overrides__has_key="message"
        ).exists()


class TestApi:
    def client(self, user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def test_get_returns_the_defaults(self):
        body = self.client(make_user()).get(API).json()
        assert body["digest_enabled"] is True and body["email_enabled"] is True
        by_kind = {row["kind"]: row for row in body["kinds"]}
        assert set(by_kind) == set(Notification.Kind.values)
        assert by_kind["message"] == {
            "kind": "message",
            "label": "Message",
            "group": "Messages",
            "in_app": True,
            "email": True,
            "sms": None,
        }
        assert by_kind["booking_reminder"]["sms"] is True

    def test_put_replaces_the_switches(self):
        user = make_user()
        client = self.client(user)
        response = client.put(
            API,
            {
                "digest_enabled": False,
                "preferences": {"message": {"email": False}, "booking_reminder": {"sms": False}},
            },
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        by_kind = {row["kind"]: row for row in response.json()["kinds"]}
        assert by_kind["message"]["email"] is False and by_kind["message"]["in_app"] is True
        assert by_kind["booking_reminder"]["sms"] is False
        assert response.json()["digest_enabled"] is False
        assert client.get(API).json() == response.json()

    def test_put_refuses_sms_for_a_kind_without_it(self):
        response = self.client(make_user()).put(
            API,
            {"digest_enabled": True, "preferences": {"reply": {"sms": True}}},
            content_type="application/json",
        )
        assert response.status_code in {400, 422}
        assert response.json()["error"]["code"] == "invalid_channel"

    def test_put_refuses_an_unknown_kind(self):
        response = self.client(make_user()).put(
            API,
            {"digest_enabled": True, "preferences": {"spam": {"email": False}}},
            content_type="application/json",
        )
        assert response.json()["error"]["code"] == "invalid_kind"

    def test_it_needs_a_login(self):
        assert Client().get(API).status_code == 401
