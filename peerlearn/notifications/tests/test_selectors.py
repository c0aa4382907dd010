from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from peerlearn.common.errors import NotFound
from peerlearn.common.testing import make_user
from peerlearn.notifications import selectors
from peerlearn.notifications.models import NotificationSettings

from .factories import make_notification

pytestmark = pytest.mark.django_db


def test_the_list_is_the_users_own_newest_first():
    user, other = make_user(), make_user()
    now = timezone.now()
    old = make_notification(user, created_at=now - timedelta(hours=2))
    new = make_notification(user, created_at=now)
    middle = make_notification(user, created_at=now - timedelta(hours=1))
    make_notification(other)
    assert list(selectors.notification_list(user)) == [new, middle, old]


def test_the_unread_list_and_count_leave_out_read_ones():
    user = make_user()
    make_notification(user, read_at=timezone.now())
    unread = make_notification(user)
    make_notification(make_user())
    assert list(selectors.notification_list(user, unread_only=True)) == [unread]
    assert selectors.unread_count(user) == 1


def test_an_anonymous_visitor_has_nothing_unread():
    assert selectors.unread_count(AnonymousUser()) == 0  # type: ignore[arg-type]


def test_access_refuses_someone_elses_notification_like_a_missing_one():
    owner, other = make_user(), make_user()
    n = make_notification(owner)
    assert selectors.access_notification(user=owner, notification_id=n.pk) == n
    with pytest.raises(NotFound) as foreign:
        selectors.access_notification(user=other, notification_id=n.pk)
    with pytest.raises(NotFound) as missing:
        selectors.access_notification(user=other, notification_id=n.pk + 1000)
    assert foreign.value.message == missing.value.message


def test_delivery_settings_are_the_defaults_without_writing_a_row():
    user = make_user()
    prefs = selectors.delivery_settings(user)
    assert prefs.pk is None
    assert prefs.email_enabled and not prefs.can_text
    assert prefs.reminder_offsets_minutes == [1440, 60]
    assert not NotificationSettings.objects.exists()
