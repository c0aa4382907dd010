from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from peerlearn.scheduling.tests.test_concurrency import sqlite_file_database  # noqa: F401

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday
SLOT = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)  # Wednesday 10:00, inside default availability


@pytest.fixture
def plain_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the fallback candidate query (deterministic: verified first, then by id), whatever
    state the ranker is in."""
    try:
        from peerlearn.matching import recommend
    except Exception:
        return
    monkeypatch.setattr(recommend, "top_tutors", None, raising=False)


@pytest.fixture
def frozen_time() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
