from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerlearn.common.testing import make_user
from peerlearn.notifications import services
from peerlearn.notifications.models import Notification, NotificationSettings

from .factories import make_notification

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")
SETTINGS = reverse("notifications:settings")


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def settings_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "phone_number": "",
        "reminder_offsets_minutes": ["1440", "60"],
        "email_enabled": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class TestList:
    def test_it_needs_a_login(self):
        response = Client().get(LIST)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_it_shows_only_mine_newest_first_with_unread_highlighted(self):
        user = make_user()
        now = timezone.now()
        make_notification(
            user, title="Older and read", created_at=now - timedelta(hours=1), read_at=now
        )
        newer = make_notification(user, title="Newer and unread", created_at=now)
        make_notification(make_user(), title="Someone else's")
        response = logged_in(user).get(LIST)
        assert response.status_code == 200
        body = response.content.decode()
        assert body.index("Newer and unread") < body.index("Older and read")
        assert "Someone else&#x27;s" not in body and "Someone else's" not in body
        assert body.count("is-unread") == 1
        assert "Mark all read" in body
        assert f'action="{reverse("notifications:read", args=[newer.pk])}"' in body

    def test_it_paginates(self):
        user = make_user()
        for i in range(25):
            make_notification(user, title=f"Item {i:02d}")
        client = logged_in(user)
        first = client.get(LIST)
        assert len(first.context["page"].object_list) == 20
        second = client.get(LIST, {"page": 2})
        assert len(second.context["page"].object_list) == 5
        assert "Page 2 of 2" in second.content.decode()

    def test_the_unread_filter(self):
        user = make_user()
        make_notification(user, title="Seen it", read_at=timezone.now())
        make_notification(user, title="Not yet")
        body = logged_in(user).get(LIST, {"filter": "unread"}).content.decode()
        assert "Not yet" in body and "Seen it" not in body

    def test_an_empty_list_says_so_and_offers_no_mark_all(self):
        body = logged_in(make_user()).get(LIST).content.decode()
        assert "Nothing yet" in body and "Mark all read" not in body

    def test_the_page_has_no_inline_styles_or_scripts(self):
        user = make_user()
        make_notification(user)
        body = logged_in(user).get(LIST).content.decode()
        assert "style=" not in body
        assert "<script>" not in body


class TestMarkRead:
    def test_it_marks_read_and_goes_where_the_notification_points(self):
        user = make_user()
        n = make_notification(user, url="/sessions/42/")
        response = logged_in(user).post(reverse("notifications:read", args=[n.pk]))
        assert response.status_code == 302 and response["Location"] == "/sessions/42/"
        n.refresh_from_db()
        assert n.read_at is not None

    def test_without_a_link_it_returns_to_the_list(self):
        user = make_user()
        n = make_notification(user, url="")
        response = logged_in(user).post(reverse("notifications:read", args=[n.pk]))
        assert response["Location"] == LIST

    def test_it_is_post_only(self):
        user = make_user()
        n = make_notification(user)
        assert logged_in(user).get(reverse("notifications:read", args=[n.pk])).status_code == 405
        n.refresh_from_db()
        assert n.read_at is None

    def test_someone_elses_notification_is_not_found(self):
        n = make_notification(make_user())
        response = logged_in(make_user()).post(reverse("notifications:read", args=[n.pk]))
        assert response.status_code == 404
        n.refresh_from_db()
        assert n.read_at is None

    def test_mark_all_read(self):
        user, other = make_user(), make_user()
        make_notification(user)
        make_notification(user)
        theirs = make_notification(other)
        response = logged_in(user).post(reverse("notifications:read_all"), follow=True)
        assert response.redirect_chain[-1][0] == LIST
        assert "Marked 2 notifications read." in response.content.decode()
        assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
        theirs.refresh_from_db()
        assert theirs.read_at is None


class TestSettingsPage:
    def test_it_shows_the_defaults_without_saving_anything(self):
        response = logged_in(make_user()).get(SETTINGS)
        assert response.status_code == 200
        form = response.context["form"]
        assert form["reminder_offsets_minutes"].value() == [1440, 60]
        assert form["email_enabled"].value() is True
        body = response.content.decode()
        for label in ("15 min before", "1 h before", "3 h before", "24 h before", "48 h before"):
            assert label in body
        assert 'type="tel"' in body and "style=" not in body
        assert not NotificationSettings.objects.exists()

    def test_it_saves_valid_settings(self):
        user = make_user()
        response = logged_in(user).post(
            SETTINGS,
            settings_form(
                phone_number="+49 151 2345 6789",
                sms_opt_in="on",
                reminder_offsets_minutes=["15", "2880"],
                email_enabled=None,
            ),
        )
        assert response.status_code == 302 and response["Location"] == SETTINGS
        prefs = NotificationSettings.objects.get(user=user)
        assert prefs.phone_number == "+4915123456789"
        assert prefs.sms_opt_in is True and prefs.email_enabled is False
        assert prefs.reminder_offsets_minutes == [2880, 15]

    def test_a_bad_number_is_shown_next_to_the_field(self):
        user = make_user()
        response = logged_in(user).post(SETTINGS, settings_form(phone_number="015123456789"))
        assert response.status_code == 200
        assert response.context["form"].errors["phone_number"] == [
            "Enter the number in international format with the country code, e.g. +4915123456789."
        ]
        assert not NotificationSettings.objects.exists()

    def test_text_messages_without_a_number_are_refused(self):
        response = logged_in(make_user()).post(SETTINGS, settings_form(sms_opt_in="on"))
        assert response.status_code == 200
        assert "Add a phone number" in response.context["form"].errors["phone_number"][0]

    def test_an_unknown_reminder_time_is_refused_by_the_form(self):
        response = logged_in(make_user()).post(
            SETTINGS, settings_form(reminder_offsets_minutes=["7"])
        )
        assert response.status_code == 200
        assert "reminder_offsets_minutes" in response.context["form"].errors

    def test_a_time_set_through_the_api_is_offered_and_kept(self):
        user = make_user()
        services.notification_settings_update(
            actor=user,
            phone_number="",
            sms_opt_in=False,
            reminder_offsets_minutes=[90, 30],
            email_enabled=True,
        )
        client = logged_in(user)
        body = client.get(SETTINGS).content.decode()
        assert "1 h 30 min before" in body and "30 min before" in body
        client.post(SETTINGS, settings_form(reminder_offsets_minutes=["90", "30", "60"]))
        assert NotificationSettings.objects.get(user=user).reminder_offsets_minutes == [90, 60, 30]

    def test_more_than_five_times_are_refused(self):
        user = make_user()
        services.notification_settings_update(
            actor=user,
            phone_number="",
            sms_opt_in=False,
            reminder_offsets_minutes=[30],
            email_enabled=True,
        )
        response = logged_in(user).post(
            SETTINGS,
            settings_form(reminder_offsets_minutes=["15", "30", "60", "180", "1440", "2880"]),
        )
        assert response.status_code == 200
        assert "at most 5" in response.context["form"].errors["reminder_offsets_minutes"][0]


class TestBell:
    def test_the_context_processor_counts_my_unread_notifications(self, rf):
        from peerlearn.notifications.context_processors import unread_notifications

        user = make_user()
        make_notification(user)
        make_notification(user, read_at=timezone.now())
        request = rf.get("/")
        request.user = user
        assert unread_notifications(request)["unread_notification_count"] == 1

    def test_anonymous_visitors_get_zero_without_a_query(self, rf, django_assert_num_queries):
        from django.contrib.auth.models import AnonymousUser

        from peerlearn.notifications.context_processors import unread_notifications

        request = rf.get("/")
        request.user = AnonymousUser()
        with django_assert_num_queries(0):
            assert unread_notifications(request)["unread_notification_count"] == 0

    @pytest.mark.parametrize(("count", "shown"), [(0, None), (3, "3"), (120, "99+")])
    def test_the_bell_partial_shows_the_count(self, count: int, shown: str | None):
        html = render_to_string("notifications/_bell.html", {"unread_notification_count": count})
        assert f'href="{LIST}"' in html
        if shown is None:
            assert "bell-count" not in html and 'aria-label="Notifications"' in html
        else:
            assert f">{shown}</span>" in html and f"{count} unread" in html
