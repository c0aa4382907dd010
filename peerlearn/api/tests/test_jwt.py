"""JWT access to /api/v1/: tokens come from allauth's headless app endpoints; forged, expired,
unsigned, rotated-away and revoked tokens are all refused with a 401 in the API's error shape."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.test import Client

from peerlearn.accounts.models import User
from peerlearn.common.testing import PASSWORD, make_subject, make_user

pytestmark = pytest.mark.django_db

APP = "/_allauth/app/v1"
ME = "/api/v1/me"
NEW_PASSWORD = "a-brand-new-Passphrase-2026"


def login(user: User, password: str = PASSWORD) -> dict[str, Any]:
    response = Client().post(
        f"{APP}/auth/login",
        {"email": user.email, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    meta = response.json()["meta"]
    assert meta["is_authenticated"] is True
    assert meta["access_token"] and meta["refresh_token"]
    return meta


def refresh(refresh_token: str) -> Any:
    return Client().post(
        f"{APP}/tokens/refresh", {"refresh_token": refresh_token}, content_type="application/json"
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get_me(token: str) -> Any:
    # A fresh client each time: no session cookie can stand in for the token.
    return Client().get(ME, headers=bearer(token))


def assert_refused(response: Any) -> None:
    assert response.status_code == 401, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] in {"token_invalid", "not_authenticated"}
    assert body["error"]["message"]
    assert body["error"]["fields"] == {}


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def sign(claims: dict[str, Any], key: str = settings.SECRET_KEY) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


def b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def user() -> User:
    return make_user("jwt.user@example.org")


def test_a_fresh_access_token_works(user: User) -> None:
    tokens = login(user)

    response = get_me(tokens["access_token"])

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "jwt.user@example.org"


def test_the_access_token_is_short_lived(user: User) -> None:
    claims = claims_of(login(user)["access_token"])

    assert claims["token_use"] == "access"
    assert claims["exp"] - claims["iat"] == settings.HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN
    assert claims["exp"] - claims["iat"] <= 15 * 60


def test_no_token_at_all_is_401_not_authenticated() -> None:
    response = Client().get(ME)

    assert_refused(response)
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_refused(user: User) -> None:
    claims = claims_of(login(user)["access_token"])
    now = int(time.time())
    # The same claims, correctly signed, only with a validity window in the past...
    expired = sign({**claims, "iat": now - 3600, "exp": now - 60})
    # ...while a copy with a future expiry is accepted: expiry is the only thing wrong.
    still_valid = sign({**claims, "exp": now + 60})

    assert_refused(get_me(expired))
    assert get_me(still_valid).status_code == 200


def test_a_token_with_a_wrong_signature_is_refused(user: User) -> None:
    claims = claims_of(login(user)["access_token"])

    forged = sign(claims, key="not-the-server-key-" + "y" * 40)

    response = get_me(forged)
    assert_refused(response)
    assert response.json()["error"]["code"] == "token_invalid"


def test_a_tampered_token_is_refused(user: User) -> None:
    other = make_user()
    token = login(user)["access_token"]
    header, _, signature = token.split(".")
    claims = claims_of(token)
    tampered = f"{header}.{b64url({**claims, 'sub': str(other.pk)})}.{signature}"

    assert_refused(get_me(tampered))


def test_an_unsigned_alg_none_token_is_refused(user: User) -> None:
    claims = claims_of(login(user)["access_token"])
    unsigned = f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{b64url(claims)}."

    assert_refused(get_me(unsigned))


def test_a_refresh_token_is_not_an_access_token(user: User) -> None:
    assert_refused(get_me(login(user)["refresh_token"]))


def test_garbage_is_refused() -> None:
    assert_refused(get_me("not.a.jwt"))
    assert_refused(Client().get(ME, headers={"Authorization": "Bearer"}))


def test_a_bad_token_is_not_rescued_by_a_session_cookie(user: User) -> None:
    client = Client()
    client.force_login(user)

    assert client.get(ME).status_code == 200
    assert_refused(client.get(ME, headers=bearer("not.a.jwt")))


def test_refresh_rotates_and_the_old_refresh_token_is_refused(user: User) -> None:
    tokens = login(user)

    response = refresh(tokens["refresh_token"])

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["refresh_token"] != tokens["refresh_token"]
    assert get_me(data["access_token"]).status_code == 200

    reused = refresh(tokens["refresh_token"])
    assert reused.status_code == 400
    assert "access_token" not in reused.json().get("data", {})

    assert refresh(data["refresh_token"]).status_code == 200


def test_logout_revokes_the_refresh_token_and_the_access_token(user: User) -> None:
    tokens = login(user)
    assert get_me(tokens["access_token"]).status_code == 200

    logout = Client().delete(f"{APP}/auth/session", headers=bearer(tokens["access_token"]))

    assert logout.status_code == 401  # allauth: "you are now not authenticated"
    assert logout.json()["meta"]["is_authenticated"] is False
    assert refresh(tokens["refresh_token"]).status_code == 400
    assert_refused(get_me(tokens["access_token"]))


def test_password_change_revokes_the_refresh_token(user: User) -> None:
    tokens = login(user)

    change = Client().post(
        f"{APP}/account/password/change",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        content_type="application/json",
        headers=bearer(tokens["access_token"]),
    )

    assert change.status_code in {200, 401}, change.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert refresh(tokens["refresh_token"]).status_code == 400
    assert_refused(get_me(tokens["access_token"]))
    # The new password works and gives a working pair of tokens.
    assert get_me(login(user, NEW_PASSWORD)["access_token"]).status_code == 200


def test_password_change_also_revokes_other_sessions(user: User) -> None:
    phone, laptop = login(user), login(user)
    assert get_me(phone["access_token"]).status_code == 200

    Client().post(
        f"{APP}/account/password/change",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        content_type="application/json",
        headers=bearer(laptop["access_token"]),
    )

    assert refresh(phone["refresh_token"]).status_code == 400
    assert_refused(get_me(phone["access_token"]))


def test_tokens_of_a_deactivated_user_are_refused(user: User) -> None:
    tokens = login(user)
    user.is_active = False
    user.save()

    assert_refused(get_me(tokens["access_token"]))
    assert refresh(tokens["refresh_token"]).status_code == 400


def test_a_token_needs_no_csrf_token_for_writes(user: User) -> None:
    topic = make_subject()
    tokens = login(user)

    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/me/learning-subjects",
        {"subject_id": topic.pk, "level": "beginner"},
        content_type="application/json",
        headers=bearer(tokens["access_token"]),
    )

    assert response.status_code == 200, response.content


def test_public_endpoints_take_a_token_and_refuse_a_bad_one(user: User) -> None:
    person = make_user(latitude=48.137, longitude=11.575)  # Munich
    user.profile.latitude, user.profile.longitude = 52.52, 13.405  # Berlin
    user.profile.save()
    tokens = login(user)

    response = Client().get(f"/api/v1/users/{person.pk}", headers=bearer(tokens["access_token"]))

    assert response.status_code == 200
    assert response.json()["distance_km"] == 500
    assert_refused(Client().get(f"/api/v1/users/{person.pk}", headers=bearer("not.a.jwt")))


def test_a_token_request_reads_the_users_row_once(user: User) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = login(user)["access_token"]
    cache.clear()  # the tombstone of the login's save (last_login) has expired
    assert get_me(token).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/api/v1/notifications/unread-count", headers=bearer(token))

    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if '"accounts_user"' in q["sql"]]


def test_a_token_that_worked_is_refused_once_it_expires(user: User) -> None:
    import time_machine

    token = login(user)["access_token"]
    assert get_me(token).status_code == 200  # checked, and remembered by this process

    with time_machine.travel(time.time() + settings.HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN + 1):
        assert_refused(get_me(token))
