"""The messaging part of the JSON API: member-only (a stranger gets 404), the same rules as
the pages."""

from __future__ import annotations

import pytest

from peerlearn.common.testing import make_user, png_bytes, upload
from peerlearn.messaging import services
from peerlearn.messaging.models import Block, MessageReport

from .conftest import Pair, logged_in

pytestmark = pytest.mark.django_db

API = "/api/v1/messaging"


def test_a_stranger_gets_404_everywhere(pair: Pair) -> None:
    message = services.message_send(
        actor=pair.ann,
        conversation_id=pair.conversation.pk,
        body="private",
        upload=upload("p.png", png_bytes()),
    )
    attachment = message.attachments.get()
    client = logged_in(pair.otto)
    cid = pair.conversation.pk
    for response in (
        client.get(f"{API}/conversations/{cid}"),
        client.get(f"{API}/conversations/{cid}/messages"),
        client.get(f"{API}/conversations/{cid}/receipts"),
        client.get(f"{API}/attachments/{attachment.pk}"),
        client.post(f"{API}/conversations/{cid}/messages", {"body": "x"}),
        client.post(f"{API}/conversations/{cid}/read", {"last_id": 1}, "application/json"),
        client.post(f"{API}/messages/{message.pk}/report", {"reason": "x"}, "application/json"),
    ):
        assert response.status_code == 404, response.content
        assert b"private" not in response.content
    assert client.get(f"{API}/conversations").json()["items"] == []


def test_anonymous_calls_are_refused(pair: Pair) -> None:
    from django.test import Client

    assert Client().get(f"{API}/conversations").status_code == 401


def test_create_list_send_read(pair: Pair) -> None:
    cleo = make_user(display_name="Cleo")
    ann = logged_in(pair.ann)
    created = ann.post(f"{API}/conversations", {"with_ids": [cleo.pk]}, "application/json")
    assert created.status_code == 201
    cid = created.json()["id"]
    assert {m["name"] for m in created.json()["members"]} == {"Ann", "Cleo"}
    again = ann.post(f"{API}/conversations", {"with_ids": [cleo.pk]}, "application/json")
    assert again.json()["id"] == cid

    sent = ann.post(
        f"{API}/conversations/{cid}/messages",
        {"body": "with a picture", "file": upload("p.png", png_bytes())},
    )
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["attachments"][0]["is_image"] and body["attachments"][0]["thumbnail_url"]

    cleo_client = logged_in(cleo)
    listed = cleo_client.get(f"{API}/conversations").json()["items"]
    assert listed[0]["id"] == cid and listed[0]["unread"] == 1
    history = cleo_client.get(f"{API}/conversations/{cid}/messages").json()
    assert [m["body"] for m in history] == ["with a picture"]
    download = cleo_client.get(f"{API}/attachments/{body['attachments'][0]['id']}")
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"

    read = cleo_client.post(
        f"{API}/conversations/{cid}/read", {"last_id": body["id"]}, "application/json"
    )
    assert read.json() == {"last_read_id": body["id"]}
    receipts = ann.get(f"{API}/conversations/{cid}/receipts").json()
    assert receipts == [{"user_id": cleo.pk, "last_read_id": body["id"]}]


def test_group_size_limit_over_the_api(pair: Pair) -> None:
    people = [make_user().pk for _ in range(8)]
    response = logged_in(pair.ann).post(
        f"{API}/conversations", {"with_ids": people}, "application/json"
    )
    assert response.status_code in {400, 422}


def test_a_refused_upload_is_a_clear_error(pair: Pair) -> None:
    response = logged_in(pair.ann).post(
        f"{API}/conversations/{pair.conversation.pk}/messages",
        {"body": "", "file": upload("x.svg", b"<svg><script>alert(1)</script></svg>")},
    )
    assert response.status_code == 422  # the API's status for an error on a named field
    assert response.json()["error"]["code"] == "file_type"


def test_block_unblock_and_report(pair: Pair) -> None:
    message = services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="x")
    ben = logged_in(pair.ben)
    assert (
        ben.post(
            f"{API}/messages/{message.pk}/report", {"reason": "spam"}, "application/json"
        ).status_code
        == 201
    )
    assert MessageReport.objects.filter(reporter=pair.ben).exists()
    assert (
        ben.post(f"{API}/blocks", {"user_id": pair.ann.pk}, "application/json").status_code == 204
    )
    assert Block.objects.filter(blocker=pair.ben, blocked=pair.ann).exists()
    refused = logged_in(pair.ann).post(
        f"{API}/conversations/{pair.conversation.pk}/messages", {"body": "hello?"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "blocked"
    assert ben.delete(f"{API}/blocks/{pair.ann.pk}").status_code == 204
    assert not Block.objects.exists()


def test_conversation_items_are_exactly_their_schema(pair: Pair) -> None:
    from django.test import RequestFactory

    from peerlearn.api.testing import as_schema_writes
    from peerlearn.messaging import selectors
    from peerlearn.messaging.api import ConversationOut

    cleo = make_user("cleo@example.org", display_name="Cleo")
    group = services.conversation_start(actor=pair.ben, with_ids=[pair.ann.pk, cleo.pk], title="G")
    for body in ("one", "two"):
        services.message_send(actor=pair.ben, conversation_id=pair.conversation.pk, body=body)
    services.message_send(actor=pair.ann, conversation_id=group.pk, body="mine")
    expected = as_schema_writes(
        ConversationOut, selectors.conversation_list(user=pair.ann), RequestFactory().get("/")
    )

    body = logged_in(pair.ann).get(f"{API}/conversations").json()

    assert body == {"items": expected, "count": 2}
    assert {item["id"]: item["unread"] for item in body["items"]} == {
        pair.conversation.pk: 2,  # Ben's two
        group.pk: 0,  # only Ann's own
    }


def test_the_conversation_list_queries_do_not_grow_with_the_page(pair: Pair) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(5):
        other = make_user(f"p{n}@example.org")
        conversation = services.conversation_start(actor=other, with_ids=[pair.ann.pk])
        services.message_send(actor=other, conversation_id=conversation.pk, body="hi")
    client = logged_in(pair.ann)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries.captured_queries)

    assert count(f"{API}/conversations?page_size=2") == count(f"{API}/conversations")
