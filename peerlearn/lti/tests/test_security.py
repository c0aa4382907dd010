"""Launches that must never be accepted: forged, replayed, expired, for another audience or
deployment, or missing what LTI requires. Each is refused with a page that says so (4xx),
signs nobody in and creates no account. Key rotation on both sides keeps launches working."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from django.core.management import call_command
from django.test import Client
from lti_tool.models import Key, LtiDeployment, LtiRegistration

from peerlearn.accounts.models import User
from peerlearn.lti.models import Course

from .helpers import launch, person
from .platform import LTI, Platform, SigningKey

pytestmark = pytest.mark.django_db

Claims = dict[str, Any]


def _set(**values: Any) -> Callable[[Claims], None]:
    def change(claims: Claims) -> None:
        claims.update(values)

    return change


def _drop(name: str) -> Callable[[Claims], None]:
    def change(claims: Claims) -> None:
        claims.pop(name)

    return change


def _resign(
    platform: Platform, *, drop: str = "", **changes: Any
) -> Callable[[dict[str, str]], None]:
    """Change what the platform signed and sign it again with the platform's own key."""

    def tamper(fields: dict[str, str]) -> None:
        claims = jwt.decode(fields["id_token"], options={"verify_signature": False})
        claims.update(changes)
        claims.pop(drop, None)
        fields["id_token"] = platform.sign(claims)

    return tamper


def _refused(response: Any, client: Client) -> bool:
    return response.status_code in {400, 403} and "_auth_user_id" not in client.session


def _nothing_created() -> bool:
    return not User.objects.exists() and not Course.objects.exists()


CLAIM_ATTACKS: dict[str, Callable[[Claims], None]] = {
    "wrong audience": _set(aud="someone-else", azp="someone-else"),
    "audience list without us": _set(aud=["someone-else", "another"], azp="someone-else"),
    "our audience among several, no azp": _set(aud=["peerlearn-tool", "other"], azp=None),
    "azp of another client": _set(azp="someone-else"),
    "wrong issuer": _set(iss="https://evil.example"),
    "unknown deployment": _set(**{LTI + "deployment_id": "dep-unknown"}),
    "wrong version": _set(**{LTI + "version": "1.1"}),
    "unknown message type": _set(**{LTI + "message_type": "LtiStrangeRequest"}),
    "missing message type": _drop(LTI + "message_type"),
    "missing deployment": _drop(LTI + "deployment_id"),
    "missing roles": _drop(LTI + "roles"),
    "missing resource link": _drop(LTI + "resource_link"),
    "missing sub": _drop("sub"),
}


def _attempt(client: Client, platform: Platform, attack: str) -> Any:
    """One launch with ``attack`` applied. A missing ``sub`` is removed from the signed token
    only (the platform's login hint still names the person)."""
    course = platform.course("c1", "Course", [])
    claims = platform.resource_launch(person(1), course)
    if attack == "missing sub":
        return launch(client, platform, claims, tamper=_resign(platform, drop="sub")).response
    CLAIM_ATTACKS[attack](claims)
    return launch(client, platform, claims).response


@pytest.mark.parametrize("attack", CLAIM_ATTACKS)
def test_a_launch_with_bad_claims_is_refused(
    attack: str, client: Client, platform: Platform
) -> None:
    response = _attempt(client, platform, attack)
    assert _refused(response, client), response.content
    assert b"Could not open PeerLearn" in response.content
    assert _nothing_created()


def test_every_attack_in_a_row_is_refused_zero_accepted(platform: Platform) -> None:
    accepted = sum(
        _attempt(Client(), platform, attack).status_code == 302 for attack in CLAIM_ATTACKS
    )
    assert accepted == 0
    assert _nothing_created()


def test_a_token_signed_with_a_key_the_platform_never_published_is_refused(
    client: Client, platform: Platform
) -> None:
    course = platform.course("c1", "Course", [])
    forger = SigningKey(kid=platform.key.kid, private=SigningKey.generate().private)
    result = launch(client, platform, platform.resource_launch(person(1), course), key=forger)
    assert _refused(result.response, client)
    assert b"Signature verification failed" in result.response.content
    assert _nothing_created()


def test_an_unsigned_or_hmac_token_is_refused(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Course", [])

    def unsigned(fields: dict[str, str]) -> None:
        body = jwt.decode(fields["id_token"], options={"verify_signature": False})
        fields["id_token"] = jwt.encode(
            body, "", algorithm="none", headers={"kid": platform.key.kid}
        )

    result = launch(client, platform, platform.resource_launch(person(1), course), tamper=unsigned)
    assert _refused(result.response, client)

    def hmac(fields: dict[str, str]) -> None:
        body = jwt.decode(fields["id_token"], options={"verify_signature": False})
        fields["id_token"] = jwt.encode(
            body, "k" * 32, algorithm="HS256", headers={"kid": platform.key.kid}
        )

    result = launch(Client(), platform, platform.resource_launch(person(1), course), tamper=hmac)
    assert _refused(result.response, client)
    assert _nothing_created()


def test_a_tampered_claim_breaks_the_signature(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Course", [])

    def promote(fields: dict[str, str]) -> None:
        header, _body, signature = fields["id_token"].split(".")
        claims = jwt.decode(fields["id_token"], options={"verify_signature": False})
        claims[LTI + "roles"] = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
        forged = jwt.encode(claims, "x" * 32, algorithm="HS256").split(".")[1]
        fields["id_token"] = f"{header}.{forged}.{signature}"

    result = launch(client, platform, platform.resource_launch(person(1), course), tamper=promote)
    assert _refused(result.response, client)
    assert _nothing_created()


def test_a_replayed_launch_is_refused(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Course", [])
    first = launch(client, platform, platform.resource_launch(person(1), course))
    assert first.response.status_code == 302
    # The same id_token and state again, from the same browser (its state cookie still set)...
    again = client.post("/lti/launch/", first.form)
    assert again.status_code == 400
    assert b"already used" in again.content, again.content.decode()[-1500:]
    # ... and from another browser (no state cookie).
    other = Client()
    assert other.post("/lti/launch/", first.form).status_code == 400
    assert "_auth_user_id" not in other.session


def test_a_nonce_we_never_issued_is_refused(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Course", [])

    foreign_nonce = _resign(platform, nonce="made-up-by-the-platform")
    result = launch(
        client, platform, platform.resource_launch(person(1), course), tamper=foreign_nonce
    )
    assert _refused(result.response, client)
    assert b"Invalid Nonce" in result.response.content


def test_a_state_that_does_not_match_the_browsers_cookie_is_refused(
    client: Client, platform: Platform
) -> None:
    course = platform.course("c1", "Course", [])
    result = launch(
        client,
        platform,
        platform.resource_launch(person(1), course),
        tamper=lambda fields: fields.update(state="state-someone-elses"),
    )
    assert _refused(result.response, client)
    assert b"State not found" in result.response.content


def test_a_missing_state_or_token_is_refused(client: Client, platform: Platform) -> None:
    assert client.post("/lti/launch/", {"id_token": "a.b.c"}).status_code == 400
    assert client.post("/lti/launch/", {"state": "state-x"}).status_code == 400
    assert client.get("/lti/launch/").status_code == 405


def test_an_expired_launch_is_refused_beyond_the_clock_skew_only(
    client: Client, platform: Platform, settings: Any
) -> None:
    settings.LTI_CLOCK_SKEW_SECONDS = 60
    course = platform.course("c1", "Course", [])
    now = int(time.time())
    expired = _resign(platform, iat=now - 900, exp=now - 120)
    result = launch(client, platform, platform.resource_launch(person(1), course), tamper=expired)
    assert _refused(result.response, client)
    assert b"expired" in result.response.content

    future = _resign(platform, iat=now + 600, exp=now + 900)
    result = launch(Client(), platform, platform.resource_launch(person(1), course), tamper=future)
    assert result.response.status_code == 400
    assert _nothing_created()

    slightly_late = _resign(platform, iat=now - 300, exp=now - 20)  # within the skew
    result = launch(
        Client(), platform, platform.resource_launch(person(1), course), tamper=slightly_late
    )
    assert result.response.status_code == 302


def test_missing_exp_iat_or_nonce_is_refused(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Course", [])
    for claim in ("exp", "iat", "nonce"):
        c = Client()
        tamper = _resign(platform, drop=claim)
        result = launch(c, platform, platform.resource_launch(person(1), course), tamper=tamper)
        assert _refused(result.response, c), claim
    assert _nothing_created()


def test_an_inactive_deployment_or_registration_is_refused(
    client: Client, platform: Platform
) -> None:
    course = platform.course("c1", "Course", [])
    LtiDeployment.objects.update(is_active=False)
    result = launch(client, platform, platform.resource_launch(person(1), course))
    assert _refused(result.response, client)
    assert b"Unable to find deployment" in result.response.content
    LtiDeployment.objects.update(is_active=True)
    LtiRegistration.objects.update(is_active=False)
    hint = platform.prepare(platform.resource_launch(person(1), course))
    login = client.get("/lti/login/", platform.login_params(hint))
    assert login.status_code == 400
    assert b"not registered" in login.content
    assert _nothing_created()


def test_an_unknown_deployment_is_not_created(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Course", [])
    claims = platform.resource_launch(person(1), course)
    claims[LTI + "deployment_id"] = "dep-new"
    launch(client, platform, claims)
    assert list(LtiDeployment.objects.values_list("deployment_id", flat=True)) == ["dep-1"]


def test_a_login_from_an_unregistered_issuer_is_refused(client: Client, platform: Platform) -> None:
    response = client.get(
        "/lti/login/",
        {"iss": "https://evil.example", "login_hint": "x", "target_link_uri": "http://x/"},
    )
    assert response.status_code == 400
    assert client.get("/lti/login/", {"iss": platform.issuer}).status_code == 400


def test_the_platforms_key_rotation_is_followed(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Course", [])
    assert (
        launch(client, platform, platform.resource_launch(person(1), course)).response.status_code
        == 302
    )
    platform.rotate_keys(keep_old=False)  # our cached copy of its keys is now stale
    result = launch(Client(), platform, platform.resource_launch(person(2), course))
    assert result.response.status_code == 302


def test_our_key_rotation_publishes_both_keys_and_signs_with_the_new_one(
    client: Client, platform: Platform
) -> None:
    old_kid = Key.objects.get().as_jwk()["kid"]
    call_command("rotate_keys", deactivate_after=7)
    kids = [k["kid"] for k in client.get("/lti/jwks.json").json()["keys"]]
    assert len(kids) == 2 and old_kid in kids
    new_kid = next(k for k in kids if k != old_kid)
    registration = LtiRegistration.objects.get().to_registration()
    assert registration.get_kid() == new_kid
    Key.objects.filter(datetime_created__lte=Key.objects.latest().datetime_created).exclude(
        pk=Key.objects.latest().pk
    ).update(is_active=False)
    assert [k["kid"] for k in client.get("/lti/jwks.json").json()["keys"]] == [new_kid]


def test_launches_are_rate_limited(client: Client, platform: Platform, settings: Any) -> None:
    settings.LTI_LAUNCHES_PER_MINUTE = 2
    from peerlearn.common import ratelimit

    ratelimit.clear("lti:127.0.0.1")
    for _ in range(2):
        client.post("/lti/launch/", {})
    assert client.post("/lti/launch/", {}).status_code == 429
    ratelimit.clear("lti:127.0.0.1")
