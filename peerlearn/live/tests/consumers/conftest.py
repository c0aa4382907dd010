"""Fixtures of the socket tests: a fresh in-memory channel layer per test, a party, sockets
closed at the test's end, a statement counter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from channels.layers import channel_layers

from peerlearn.live.tests.consumers.helpers import Party, Sockets, Statements

# --- set-up ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    """Each test gets a new in-memory layer (its queues belong to the test's event loop)."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def party() -> Party:
    return Party()


@pytest.fixture
async def sockets() -> AsyncIterator[Sockets]:
    opened = Sockets()
    yield opened
    for socket in opened.opened:
        await socket.close()


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Statements:
    return Statements(monkeypatch)
