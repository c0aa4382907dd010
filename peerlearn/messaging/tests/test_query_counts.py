"""Every messaging list (the inbox, a conversation's messages, the moderators' report queue;
pages and API) costs the same number of queries with a few rows and with fifty more."""

from __future__ import annotations

import pytest
from django.urls import reverse

from peerlearn.common.testing import make_moderator, make_user
from peerlearn.common.tests.querycounts import MANY, assert_flat, logged_in
from peerlearn.messaging import services
from peerlearn.messaging.models import MessageReport

pytestmark = pytest.mark.django_db


def test_the_messaging_lists_do_not_grow_with_the_rows() -> None:
    viewer, moderator = make_user(display_name="Vera"), make_moderator()
    members = [make_user() for _ in range(3)]
    group = services.conversation_start(actor=viewer, with_ids=[m.pk for m in members])

    def add(n: int) -> None:
        for i in range(n):
            other = make_user()
            direct = services.conversation_start(actor=other, with_ids=[viewer.pk])
            message = services.message_send(actor=other, conversation_id=direct.pk, body=f"hi {i}")
            MessageReport.objects.create(message=message, reporter=viewer, reason="spam")
            services.message_send(actor=members[i % 3], conversation_id=group.pk, body=f"m {i}")

    add(3)
    mine, moderating = logged_in(viewer), logged_in(moderator)
    api = "/api/v1/messaging/conversations"
    pages = [
        (mine, reverse("messaging:inbox")),
        (mine, reverse("messaging:conversation", args=[group.pk])),
        (moderating, reverse("messaging:moderation")),
        (mine, api),
        (mine, f"{api}/{group.pk}/messages"),
        (mine, f"{api}/{group.pk}/receipts"),
    ]

    assert_flat(pages, lambda: add(MANY))
