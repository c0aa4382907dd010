"""/ws/practice/ through the whole ASGI stack: who may listen, and that nothing but progress
(never code, never a hidden test) reaches the partner."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers

from peerlearn.common.testing import make_user
from peerlearn.live.tests.consumers.helpers import Sockets, session_key
from peerlearn.practice import services

from .factories import ADD_RIGHT, HIDDEN_MARKER, make_add_problem, require_sandbox

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


async def test_only_the_two_participants_hear_a_session(sockets) -> None:
    problem = await sync_to_async(make_add_problem)()
    host, outsider = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    session = await sync_to_async(services.session_create)(
        actor=host, problem=problem, visibility="public"
    )
    path = f"/ws/practice/?session={session.uid}"
    refused = sockets.make(path, await sync_to_async(session_key)(outsider))
    assert await refused.connect() == (False, 4403)
    anonymous = sockets.make(path, None)
    assert (await anonymous.connect())[0] is False
    bad_uid = sockets.make(
        "/ws/practice/?session=not-a-uuid", await sync_to_async(session_key)(host)
    )
    assert (await bad_uid.connect())[0] is False
    assert (await sockets.make(path, await sync_to_async(session_key)(host)).connect())[0]


async def test_the_partner_sees_progress_and_verdicts_but_never_code(sockets) -> None:
    require_sandbox()
    problem = await sync_to_async(make_add_problem)()
    host, guest = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    session = await sync_to_async(services.session_create)(
        actor=host, problem=problem, visibility="public"
    )
    session = await sync_to_async(services.session_join)(actor=guest, uid=str(session.uid))
    host_socket = sockets.make(
        f"/ws/practice/?session={session.uid}", await sync_to_async(session_key)(host)
    )
    assert (await host_socket.connect())[0]
    await sync_to_async(services.submission_create)(
        actor=guest,
        problem=problem,
        language="python",
        code=ADD_RIGHT,
        mode="submit",
        session=session,
    )
    done = await host_socket.wait_for("progress", state="done")
    assert done["user"]["id"] == guest.pk and done["verdict"] == "accepted"
    assert (done["passed"], done["total"]) == (3, 3)
    frames = json.dumps(host_socket.seen + await host_socket.settle())
    assert "return a + b" not in frames and str(HIDDEN_MARKER) not in frames


async def test_the_lobby_hears_when_public_sessions_change(sockets) -> None:
    problem = await sync_to_async(make_add_problem)()
    host, viewer = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    lobby = sockets.make("/ws/practice/?lobby=1", await sync_to_async(session_key)(viewer))
    assert (await lobby.connect())[0]
    await sync_to_async(services.session_create)(actor=host, problem=problem, visibility="public")
    assert await lobby.wait_for("lobby") == {"type": "lobby"}
    await sync_to_async(services.session_create)(
        actor=host, problem=problem, visibility="private", password="secret"
    )
    assert await lobby.settle() == []  # private sessions are never announced


async def test_solo_progress_goes_to_the_submitters_own_socket_only(sockets) -> None:
    require_sandbox()
    problem = await sync_to_async(make_add_problem)()
    ada, bo = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    mine = sockets.make("/ws/practice/", await sync_to_async(session_key)(ada))
    theirs = sockets.make("/ws/practice/", await sync_to_async(session_key)(bo))
    assert (await mine.connect())[0] and (await theirs.connect())[0]
    await sync_to_async(services.submission_create)(
        actor=ada, problem=problem, language="python", code=ADD_RIGHT, mode="run"
    )
    assert (await mine.wait_for("progress", state="done"))["verdict"] == "accepted"
    assert await theirs.settle() == []
