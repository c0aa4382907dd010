"""Fixtures of the scheduling API tests: frozen time, fast password hashing, three people."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_tutor, make_user
from peerlearn.scheduling.tests.api.helpers import NOW


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Several accounts per test: hashing their passwords with Argon2 would dominate."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tutor() -> User:
    return make_tutor("tutor@example.org", display_name="Tara")


@pytest.fixture
def learner() -> User:
    return make_user("learner@example.org", display_name="Lee", timezone="America/New_York")


@pytest.fixture
def stranger() -> User:
    return make_user("stranger@example.org", display_name="Stan")
