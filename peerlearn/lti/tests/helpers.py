"""Registering the test platform (``tests/platform.py``) with PeerLearn, and a helper that runs
a whole launch through it the way a browser does: the tool's OIDC login, the platform's
authorization endpoint (a real HTTP request), then the POST of the id_token to the tool."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from django.test import Client
from lti_tool.models import LtiDeployment, LtiRegistration

from peerlearn.accounts.models import Institution
from peerlearn.lti.models import PlatformLink

from .platform import ROLE, Person, Platform

TOOL = "http://testserver"
LEARNER = [ROLE + "Learner"]
INSTRUCTOR = [ROLE + "Instructor"]


@dataclass
class Launch:
    response: Any
    form: dict[str, str]  # what the platform POSTed (id_token, state): for replays


def registered(platform: Platform, *, trust_email: bool = True) -> LtiRegistration:
    registration = LtiRegistration.objects.create(name="Test LMS", **platform.registration())
    LtiDeployment.objects.create(
        registration=registration, deployment_id=platform.deployment_id, is_active=True
    )
    institution, _ = Institution.objects.get_or_create(
        slug="test-university", defaults={"name": "Test University"}
    )
    PlatformLink.objects.create(
        registration=registration, institution=institution, trust_email=trust_email
    )
    return registration


def authorize_over_http(location: str) -> tuple[str, dict[str, str]]:
    """Follow the tool's redirect to the platform's authorization endpoint over HTTP and read
    the auto-submitting form it answers with."""
    page = requests.get(location, timeout=10)
    assert page.status_code == 200, page.text
    action = unescape(re.search(r'action="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    fields = {
        name: unescape(value)
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)
    }
    return action, fields


def authorized(
    client: Client, platform: Platform, claims: dict[str, Any], **prepare: Any
) -> dict[str, str]:
    """The first two steps of a launch: the tool's OIDC login, then the platform's
    authorization endpoint over HTTP. Returns what the browser is to POST (id_token, state)."""
    hint = platform.prepare(claims, **prepare)
    login = client.get("/lti/login/", platform.login_params(hint))
    assert login.status_code == 302, login.content
    location = login["Location"]
    assert location.startswith(platform.url("/auth?"))
    params = dict(parse_qsl(urlsplit(location).query))
    assert params["redirect_uri"] == platform.tool_launch_url
    action, fields = authorize_over_http(location)
    assert action == platform.tool_launch_url
    return fields


def launch(
    client: Client,
    platform: Platform,
    claims: dict[str, Any],
    *,
    tamper: Any = None,
    **prepare: Any,
) -> Launch:
    """A full launch. ``tamper(fields)`` may change what the browser POSTs back."""
    fields = authorized(client, platform, claims, **prepare)
    if tamper is not None:
        tamper(fields)
    response = client.post("/lti/launch/", fields)
    return Launch(response=response, form=fields)


def person(n: int, roles: list[str] | None = None, **kwargs: Any) -> Person:
    return Person(
        sub=f"user-{n}",
        name=kwargs.pop("name", f"Student {n}"),
        email=kwargs.pop("email", f"student{n}@uni.example"),
        roles=roles or LEARNER,
        **kwargs,
    )
