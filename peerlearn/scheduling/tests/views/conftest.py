"""Fixtures of the scheduling page tests: time frozen on a Monday morning (Berlin is UTC+1, New
York UTC-5), a tutor and a learner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_tutor, make_user
from peerlearn.scheduling.tests.views.helpers import NOW


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def tutor() -> User:
    return make_tutor("tutor@example.org", timezone="Europe/Berlin", display_name="Tara")


@pytest.fixture
def learner() -> User:
    return make_user("learner@example.org", timezone="America/New_York", display_name="Lee")
