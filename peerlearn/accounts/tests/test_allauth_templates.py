"""allauth's pages in the site's look: link actions are buttons, not bare links run together."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from peerlearn.common.testing import make_user

pytestmark = pytest.mark.django_db


def test_two_factor_link_actions_are_buttons() -> None:
    client = Client()
    client.force_login(make_user())

    page = client.get("/accounts/2fa/").content.decode()

    actions = re.findall(r'<a class="btn[^"]*" href="/accounts/2fa/[^"]+"', page)
    assert actions, page
