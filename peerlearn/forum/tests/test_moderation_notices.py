"""Moderation notices have their own kind: muting replies must not mute a moderator's decision."""

from __future__ import annotations

import pytest

from peerlearn.common.testing import make_moderator, make_user
from peerlearn.forum import services
from peerlearn.notifications import services as notification_services
from peerlearn.notifications.models import IN_APP, Notification

from .factories import make_thread

pytestmark = pytest.mark.django_db


def _mute_replies(user) -> None:
    notification_services.notification_preferences_update(
        actor=user,
        digest_enabled=False,
        preferences={Notification.Kind.REPLY: {IN_APP: False, "email": False}},
    )


def test_hiding_a_thread_notifies_its_author_even_with_replies_muted() -> None:
    thread = make_thread()
    _mute_replies(thread.author)
    services.thread_moderate(
        actor=make_moderator(), thread_id=thread.pk, action="hide", reason="Advertising"
    )
    note = Notification.objects.get(user=thread.author)
    assert note.kind == Notification.Kind.MODERATION
    assert note.read_at is None  # shown in the bell, not stored as already read


def test_removing_a_reply_notifies_its_author_even_with_replies_muted() -> None:
    thread = make_thread()
    helper = make_user()
    reply = services.reply_create(actor=helper, thread_id=thread.pk, body="buy my course")
    _mute_replies(helper)
    services.reply_moderate(
        actor=make_moderator(), reply_id=reply.pk, action="delete", reason="Spam"
    )
    note = Notification.objects.get(user=helper)
    assert note.kind == Notification.Kind.MODERATION
    assert note.read_at is None


def test_replies_are_still_reply_notices() -> None:
    thread = make_thread()
    services.reply_create(actor=make_user(), thread_id=thread.pk, body="try a base case")
    assert Notification.objects.get(user=thread.author).kind == Notification.Kind.REPLY
