"""/ws/forum/threads/<id>/ through the whole ASGI stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers

from peerlearn.common.testing import make_user
from peerlearn.forum import services
from peerlearn.live.tests.consumers.helpers import Sockets, session_key

from .factories import make_private, make_thread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
async def sockets():
    opened = Sockets()
    yield opened
    for socket in opened.opened:
        await socket.close()


async def test_a_non_member_cannot_listen_to_a_members_only_thread(sockets) -> None:
    private = await sync_to_async(make_private)()
    member = await sync_to_async(make_user)(institution=private.institution)
    thread = await sync_to_async(make_thread)(member, private)
    outsider = await sync_to_async(make_user)()
    path = f"/ws/forum/threads/{thread.pk}/"
    assert await sockets.refused(path, await sync_to_async(session_key)(outsider)) == 4403
    assert await sockets.refused(path, None) is not None
    assert (
        await sockets.refused("/ws/forum/threads/999999/", await sync_to_async(session_key)(member))
        == 4403
    )


async def test_readers_hear_replies_votes_and_the_accepted_answer(sockets) -> None:
    thread = await sync_to_async(make_thread)()
    reader, helper = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    socket = sockets.make(
        f"/ws/forum/threads/{thread.pk}/", await sync_to_async(session_key)(reader)
    )
    assert (await socket.connect())[0]
    reply = await sync_to_async(services.reply_create)(actor=helper, thread_id=thread.pk, body="hi")
    assert await socket.wait_for("reply") == {"type": "reply", "id": reply.pk, "thread": thread.pk}
    await sync_to_async(services.vote_cast)(actor=reader, value=1, reply_id=reply.pk)
    assert (await socket.wait_for("score"))["score"] == 1
    await sync_to_async(services.answer_accept)(
        actor=thread.author, thread_id=thread.pk, reply_id=reply.pk
    )
    assert (await socket.wait_for("accepted"))["reply"] == reply.pk


async def test_a_category_page_hears_new_threads_and_members_only_stays_private(sockets) -> None:
    private = await sync_to_async(make_private)()
    member = await sync_to_async(make_user)(institution=private.institution)
    outsider = await sync_to_async(make_user)()
    path = f"/ws/forum/categories/{private.pk}/"
    assert await sockets.refused(path, await sync_to_async(session_key)(outsider)) == 4403
    listener = sockets.make(path, await sync_to_async(session_key)(member))
    assert (await listener.connect())[0]
    thread = await sync_to_async(make_thread)(member, private)
    assert await listener.wait_for("thread") == {
        "type": "thread",
        "id": thread.pk,
        "category": private.pk,
    }


async def test_a_listener_who_loses_access_is_told_and_disconnected(
    sockets, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peerlearn.accounts.models import Profile
    from peerlearn.forum.consumers import ForumSocket

    private = await sync_to_async(make_private)()
    member = await sync_to_async(make_user)(institution=private.institution)
    other = await sync_to_async(make_user)(institution=private.institution)
    thread = await sync_to_async(make_thread)(member, private)
    monkeypatch.setattr(ForumSocket, "recheck_seconds", 0)
    socket = sockets.make(
        f"/ws/forum/threads/{thread.pk}/", await sync_to_async(session_key)(member)
    )
    assert (await socket.connect())[0]
    first = await sync_to_async(services.reply_create)(actor=other, thread_id=thread.pk, body="a")
    assert (await socket.wait_for("reply"))["id"] == first.pk
    # The member moves to another institution: the members-only thread is no longer theirs.
    await sync_to_async(Profile.objects.filter(user=member).update)(institution=None)
    await sync_to_async(services.reply_create)(actor=other, thread_id=thread.pk, body="b")
    assert (await socket.wait_for("error"))["code"] == "access_ended"
    assert await socket.wait_closed() == 4403
    assert [e["type"] for e in socket.seen].count("reply") == 1
