"""Every reviews test runs at a fixed moment (``factories.NOW``), moved with ``frozen``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from .factories import NOW


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
