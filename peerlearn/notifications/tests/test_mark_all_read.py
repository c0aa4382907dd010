"""'Mark all read': on the list page, in the bell's dropdown (POST with CSRF) and in the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerlearn.common.testing import make_user
from peerlearn.notifications.models import Notification

from .factories import make_notification

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")
READ_ALL = reverse("notifications:read_all")


def logged_in(user: Any, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def unread(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


class TestWeb:
    def test_the_list_page_and_the_bell_offer_it_as_a_post_form(self):
        user = make_user()
        make_notification(user, title="First unread")
        body = logged_in(user).get(LIST).content.decode()
        forms = body.count(f'<form method="post" action="{READ_ALL}">')
        assert forms == 2  # the page head and the bell's dropdown
        assert body.count("Mark all read") >= 2
        assert 'name="csrfmiddlewaretoken"' in body

    def test_the_bell_dropdown_lists_the_newest_unread_on_every_page(self):
        user = make_user()
        make_notification(user, title="Seen already", read_at=timezone.now())
        make_notification(user, title="Waiting for you")
        body = logged_in(user).get(reverse("notifications:settings")).content.decode()
        assert 'id="notification-bell"' in body and 'data-unread-count="1"' in body
        assert "Waiting for you" in body and "Seen already" not in body
        assert f'action="{READ_ALL}"' in body

    def test_with_nothing_unread_the_bell_says_so(self):
        body = logged_in(make_user()).get(reverse("notifications:settings")).content.decode()
        assert "You are all caught up." in body
        assert f'action="{READ_ALL}"' not in body

    def test_it_marks_only_mine_and_returns_to_the_list(self):
        user, other = make_user(), make_user()
        for _ in range(3):
            make_notification(user)
        make_notification(other)
        response = logged_in(user).post(READ_ALL)
        assert response.status_code == 302 and response["Location"] == LIST
        assert unread(user) == 0 and unread(other) == 1

    def test_from_the_bell_it_returns_to_the_page_it_was_on(self):
        user = make_user()
        make_notification(user)
        response = logged_in(user).post(READ_ALL, {"next": "/sessions/?page=2"})
        assert response["Location"] == "/sessions/?page=2"

    @pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
    def test_it_never_returns_to_another_site(self, target: str):
        user = make_user()
        response = logged_in(user).post(READ_ALL, {"next": target})
        assert response["Location"] == LIST

    def test_get_is_refused(self):
        user = make_user()
        make_notification(user)
        assert logged_in(user).get(READ_ALL).status_code == 405
        assert unread(user) == 1

    def test_csrf_is_required(self):
        user = make_user()
        make_notification(user)
        assert logged_in(user, csrf=True).post(READ_ALL).status_code == 403
        assert unread(user) == 1


class TestApi:
    def test_it_marks_all_mine_and_says_how_many(self):
        user, other = make_user(), make_user()
        make_notification(user)
        make_notification(user)
        make_notification(user, read_at=timezone.now())
        make_notification(other)
        client = logged_in(user)
        response = client.post("/api/v1/notifications/read-all")
        assert response.status_code == 200 and response.json() == {"marked": 2}
        assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 0}
        assert unread(other) == 1
        assert client.post("/api/v1/notifications/read-all").json() == {"marked": 0}

    def test_it_needs_a_login(self):
        assert Client().post("/api/v1/notifications/read-all").status_code == 401
