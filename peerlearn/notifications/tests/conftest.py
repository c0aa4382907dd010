from __future__ import annotations

from collections.abc import Iterator

import pytest

from peerlearn.notifications import sms


@pytest.fixture(autouse=True)
def sms_outbox(settings) -> Iterator[list[sms.OutboxMessage]]:
    """Text messages go to ``sms.outbox`` unless a test points SMS_BACKEND elsewhere."""
    settings.SMS_BACKEND = "memory"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()
