"""TURN credentials in coturn's REST-API scheme and the ICE server list built from settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from peerlearn.live.turn import TURN_CREDENTIAL_TTL_SECONDS, ice_servers_for, turn_credentials

SECRET = "north-wind-4f1c"


def coturn_check(username: str, credential: str, *, secret: str, now: float) -> bool:
    """What coturn does with ``use-auth-secret``: recompute the HMAC over the username and
    refuse a timestamp in the past."""
    expected = base64.b64encode(
        hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    ).decode()
    expiry = int(username.split(":", 1)[0])
    return hmac.compare_digest(expected, credential) and expiry > now


class TestTurnCredentials:
    def test_a_known_vector(self) -> None:
        username, credential = turn_credentials(42, secret=SECRET, ttl=3600, now=1_700_000_000)
        assert username == "1700003600:42"
        digest = hmac.new(b"north-wind-4f1c", b"1700003600:42", hashlib.sha1).digest()
        assert credential == base64.b64encode(digest).decode()
        assert len(base64.b64decode(credential)) == 20  # SHA-1

    def test_the_username_is_expiry_then_user_id(self) -> None:
        username, _ = turn_credentials(7, secret=SECRET, ttl=600, now=1000.9)
        assert username == "1600:7"

    def test_they_expire_ttl_seconds_from_now(self) -> None:
        before = time.time()
        username, credential = turn_credentials(3, secret=SECRET)
        expiry = int(username.split(":")[0])
        assert (
            before + TURN_CREDENTIAL_TTL_SECONDS - 1
            <= expiry
            <= time.time() + TURN_CREDENTIAL_TTL_SECONDS
        )
        assert coturn_check(username, credential, secret=SECRET, now=time.time())
        assert not coturn_check(username, credential, secret=SECRET, now=expiry + 1)

    def test_another_secret_or_a_changed_username_does_not_verify(self) -> None:
        username, credential = turn_credentials(3, secret=SECRET, now=1_700_000_000)
        now = 1_700_000_000
        assert coturn_check(username, credential, secret=SECRET, now=now)
        assert not coturn_check(username, credential, secret="another", now=now)
        assert not coturn_check(username.replace(":3", ":4"), credential, secret=SECRET, now=now)
        assert not coturn_check("1800000000:3", credential, secret=SECRET, now=now)

    def test_each_user_gets_their_own(self) -> None:
        one = turn_credentials(1, secret=SECRET, now=1_700_000_000)
        two = turn_credentials(2, secret=SECRET, now=1_700_000_000)
        assert one[1] != two[1]


class TestIceServers:
    def test_none_without_settings(self, settings) -> None:
        settings.STUN_URLS, settings.TURN_URLS, settings.TURN_SECRET = [], [], ""
        assert ice_servers_for(5) == []

    def test_stun_only(self, settings) -> None:
        settings.STUN_URLS, settings.TURN_URLS, settings.TURN_SECRET = (
            ["stun:127.0.0.1:3478"],
            [],
            "",
        )
        assert ice_servers_for(5) == [{"urls": ["stun:127.0.0.1:3478"]}]

    def test_turn_urls_without_a_secret_are_left_out(self, settings) -> None:
        settings.STUN_URLS, settings.TURN_URLS, settings.TURN_SECRET = [], ["turn:127.0.0.1"], ""
        assert ice_servers_for(5) == []

    def test_stun_and_turn_with_fresh_credentials(self, settings) -> None:
        settings.STUN_URLS = ["stun:turn.example.org:3478"]
        settings.TURN_URLS = [
            "turn:turn.example.org:3478?transport=udp",
            "turns:turn.example.org:5349",
        ]
        settings.TURN_SECRET = SECRET
        before = time.time()
        stun, turn = ice_servers_for(9)
        assert stun == {"urls": ["stun:turn.example.org:3478"]}
        assert turn["urls"] == [
            "turn:turn.example.org:3478?transport=udp",
            "turns:turn.example.org:5349",
        ]
        username, credential = str(turn["username"]), str(turn["credential"])
        assert username.endswith(":9")
        assert int(username.split(":")[0]) >= int(before) + TURN_CREDENTIAL_TTL_SECONDS
        assert coturn_check(username, credential, secret=SECRET, now=time.time())


@pytest.mark.django_db
class TestIceServersEndpoint:
    def test_it_needs_a_login(self, client, settings) -> None:
        response = client.get("/api/v1/live/ice-servers")
        assert response.status_code == 401

    def test_it_gives_a_logged_in_user_their_own_credentials(self, client, settings) -> None:
        from peerlearn.common.testing import make_user

        settings.STUN_URLS, settings.TURN_URLS, settings.TURN_SECRET = (
            [],
            ["turn:127.0.0.1"],
            SECRET,
        )
        user = make_user()
        client.force_login(user)
        body = client.get("/api/v1/live/ice-servers").json()
        assert body["ttl_seconds"] == TURN_CREDENTIAL_TTL_SECONDS
        (server,) = body["ice_servers"]
        assert server["username"].endswith(f":{user.pk}")
        assert coturn_check(
            server["username"], server["credential"], secret=SECRET, now=time.time()
        )
