"""The test platform, running over HTTP and registered with PeerLearn (see helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from lti_tool.models import Key

from peerlearn.lti.tool import _keyset_key

from .helpers import TOOL, registered
from .platform import Platform, running_platform


@pytest.fixture
def platform(db: None, settings: Any) -> Iterator[Platform]:
    # Tests launch far more often than a person; the limit has its own test.
    settings.LTI_LAUNCHES_PER_MINUTE = 1_000_000
    Key.objects.generate()
    with running_platform() as p:
        p.tool_login_url = f"{TOOL}/lti/login/"
        p.tool_launch_url = f"{TOOL}/lti/launch/"
        p.tool_jwks = Key.objects.as_jwks()
        cache.delete(_keyset_key(p.url("/jwks")))
        registered(p)
        yield p
