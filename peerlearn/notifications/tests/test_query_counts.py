"""The notification list, page and API (all and unread only), costs the same number of queries
with a few notifications and with fifty more."""

from __future__ import annotations

import pytest
from django.urls import reverse

from peerlearn.common.testing import make_user
from peerlearn.common.tests.querycounts import MANY, assert_flat, logged_in
from peerlearn.notifications.models import Notification
from peerlearn.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_the_notification_lists_do_not_grow_with_the_rows() -> None:
    viewer = make_user()

    def add(n: int) -> None:
        for i in range(n):
            kind = [Notification.Kind.REPLY, Notification.Kind.BOOKING_CONFIRMED][i % 2]
            notify(user=viewer, kind=kind, title=f"Note {i}", body="…", url="/", email=False)

    add(3)
    client = logged_in(viewer)
    page, api = reverse("notifications:list"), "/api/v1/notifications"
    urls = [page, f"{page}?filter=unread", api, f"{api}?unread=true", f"{api}/unread-count"]

    assert_flat([(client, url) for url in urls], lambda: add(MANY))
