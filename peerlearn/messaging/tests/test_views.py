"""Web pages and downloads: only members see a conversation, its messages and its files."""

from __future__ import annotations

import pytest
from django.urls import reverse

from peerlearn.common.testing import make_moderator, make_user, png_bytes, upload
from peerlearn.messaging import services
from peerlearn.messaging.models import Conversation, Membership, Message

from .conftest import Pair, logged_in

pytestmark = pytest.mark.django_db


def _with_image(pair: Pair) -> Message:
    return services.message_send(
        actor=pair.ann,
        conversation_id=pair.conversation.pk,
        body="a picture",
        upload=upload("pic.png", png_bytes()),
    )


def test_a_non_member_gets_404_for_every_url_of_a_conversation(pair: Pair) -> None:
    message = _with_image(pair)
    attachment = message.attachments.get()
    client = logged_in(pair.otto)
    urls = [
        reverse("messaging:conversation", args=[pair.conversation.pk]),
        reverse("messaging:conversation", args=[pair.conversation.pk]) + f"?before={message.pk}",
        reverse("messaging:attachment", args=[attachment.pk]),
        reverse("messaging:image", args=[attachment.pk]),
        reverse("messaging:thumbnail", args=[attachment.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"a picture" not in response.content
    assert (
        client.post(
            reverse("messaging:send", args=[pair.conversation.pk]), {"body": "sneaky"}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("messaging:report", args=[message.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert not Message.objects.filter(body="sneaky").exists()
    # Signed out: the login page, never the content.
    anonymous = logged_in(pair.otto)
    anonymous.logout()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_the_inbox_lists_only_my_conversations(pair: Pair) -> None:
    services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="hello Ben")
    page = logged_in(pair.ben).get(reverse("messaging:inbox"))
    assert page.status_code == 200
    assert b"hello Ben" in page.content and b"Ann" in page.content
    other = logged_in(pair.otto).get(reverse("messaging:inbox"))
    assert b"hello Ben" not in other.content
    assert b"No conversations yet" in other.content


def test_the_inbox_is_paginated(pair: Pair) -> None:
    for _ in range(22):
        services.conversation_start(actor=make_user(), with_ids=[pair.otto.pk])
    client = logged_in(pair.otto)
    first = client.get(reverse("messaging:inbox"))
    assert b"Page 1 of 2" in first.content
    assert client.get(reverse("messaging:inbox") + "?page=2").status_code == 200


def test_the_navigation_shows_unread_messages(pair: Pair) -> None:
    services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="1")
    services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="2")
    client = logged_in(pair.ben)
    home = client.get("/")
    assert b'data-msg-unread aria-label="2 unread"' in home.content
    client.get(reverse("messaging:conversation", args=[pair.conversation.pk]))  # reads them
    assert b"data-msg-unread" not in client.get("/").content


def test_opening_a_conversation_marks_it_read_and_shows_seen_to_the_author(pair: Pair) -> None:
    services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="hi")
    url = reverse("messaging:conversation", args=[pair.conversation.pk])
    page = logged_in(pair.ben).get(url)
    assert page.status_code == 200 and b"hi" in page.content
    member = Membership.objects.get(user=pair.ben)
    assert member.last_read_id == pair.conversation.messages.get().pk
    author_page = logged_in(pair.ann).get(url)
    assert author_page.context["seen_id"] == member.last_read_id


def test_start_opens_the_existing_conversation_or_creates_one(pair: Pair) -> None:
    client = logged_in(pair.ann)
    existing = client.get(reverse("messaging:start") + f"?with={pair.ben.pk}")
    assert existing.status_code == 302
    assert existing["Location"] == reverse("messaging:conversation", args=[pair.conversation.pk])
    cleo = make_user(display_name="Cleo")
    form = client.get(reverse("messaging:start") + f"?with={cleo.pk}")
    assert form.status_code == 200 and b"Cleo" in form.content
    assert Conversation.objects.count() == 1  # a GET creates nothing
    created = client.post(reverse("messaging:start") + f"?with={cleo.pk}", {"body": "Hi Cleo"})
    conversation = Conversation.objects.get(direct_key__isnull=False, memberships__user=cleo)
    assert created["Location"] == reverse("messaging:conversation", args=[conversation.pk])
    assert conversation.messages.get().body == "Hi Cleo"


def test_start_a_group_from_several_people(pair: Pair) -> None:
    cleo = make_user()
    client = logged_in(pair.ann)
    url = reverse("messaging:start") + f"?with={pair.ben.pk},{cleo.pk}"
    assert b"Group name" in client.get(url).content
    client.post(url, {"title": "Exam prep", "body": "Welcome"})
    group = Conversation.objects.get(is_group=True)
    assert group.title == "Exam prep" and group.memberships.count() == 3


def test_start_with_a_booking_the_user_is_not_part_of_is_refused(pair: Pair) -> None:
    cleo = make_user()
    response = logged_in(pair.ann).post(
        reverse("messaging:start") + f"?with={cleo.pk}&booking=999999", {"body": "x"}
    )
    assert response.status_code == 404


def test_sending_over_fetch_answers_json(pair: Pair) -> None:
    response = logged_in(pair.ann).post(
        reverse("messaging:send", args=[pair.conversation.pk]),
        {"body": "over fetch", "file": upload("p.png", png_bytes())},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    data = response.json()
    assert data["type"] == "msg.new" and data["body"] == "over fetch"
    assert data["attachments"][0]["is_image"] is True
    refused = logged_in(pair.ann).post(
        reverse("messaging:send", args=[pair.conversation.pk]),
        {"body": "", "file": upload("x.svg", b"<svg onload=alert(1)></svg>")},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "file_type"


def test_a_profile_offers_a_message_button_to_others_only(pair: Pair) -> None:
    url = reverse("accounts:profile", args=[pair.ben.pk])
    start = reverse("messaging:start") + f"?with={pair.ben.pk}"
    assert start.encode() in logged_in(pair.ann).get(url).content
    assert start.encode() not in logged_in(pair.ben).get(url).content


def test_block_and_unblock_from_the_pages(pair: Pair) -> None:
    client = logged_in(pair.ben)
    client.post(reverse("messaging:block", args=[pair.ann.pk]))
    page = client.get(reverse("messaging:settings"))
    assert b"Ann" in page.content and b"Unblock" in page.content
    conversation_page = client.get(reverse("messaging:conversation", args=[pair.conversation.pk]))
    assert b"You blocked Ann" in conversation_page.content
    client.post(reverse("messaging:unblock", args=[pair.ann.pk]))
    assert b"You have not blocked anyone" in client.get(reverse("messaging:settings")).content


def test_the_read_receipts_toggle(pair: Pair) -> None:
    client = logged_in(pair.ann)
    client.post(reverse("messaging:settings"), {})
    assert pair.ann.messaging_settings.read_receipts is False
    client.post(reverse("messaging:settings"), {"read_receipts": "on"})
    pair.ann.messaging_settings.refresh_from_db()
    assert pair.ann.messaging_settings.read_receipts is True


def test_report_reaches_the_moderators_queue_only(pair: Pair) -> None:
    message = services.message_send(
        actor=pair.ann, conversation_id=pair.conversation.pk, body="nasty words"
    )
    logged_in(pair.ben).post(reverse("messaging:report", args=[message.pk]), {"reason": "abuse"})
    assert logged_in(pair.ben).get(reverse("messaging:moderation")).status_code == 403
    moderator = logged_in(make_moderator())
    queue = moderator.get(reverse("messaging:moderation"))
    assert b"nasty words" in queue.content and b"abuse" in queue.content
    report_id = queue.context["reports"][0].pk
    moderator.post(reverse("messaging:resolve", args=[report_id]), {"resolution": "warned"})
    assert b"No open reports" in moderator.get(reverse("messaging:moderation")).content
