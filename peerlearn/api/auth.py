"""How an API request proves who is calling: a JWT access token, or the browser session.

Access tokens come from allauth's headless app endpoints (``/_allauth/app/v1/...``) and are
validated statefully: a token whose session was ended (logout, password change) is refused even
before it expires (the user's row comes from ``peerlearn.accounts.usercache``). A request that
presents an ``Authorization`` header is judged by that header alone — a bad token, or a scheme
other than Bearer, is a 401, never silently replaced by a session cookie.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, cast

from allauth.account.internal.userkit import user_id_to_str
from allauth.core.internal.httpkit import get_authorization_credential
from allauth.headless import app_settings as headless_settings
from allauth.headless.contrib.ninja.security import JWTTokenAuth
from allauth.headless.internal.sessionkit import lookup_session
from allauth.headless.tokens.strategies.jwt import internal as jwt_internal
from django.conf import settings
from django.http import HttpRequest
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from peerlearn.accounts.models import User
from peerlearn.accounts.usercache import session_user
from peerlearn.common.errors import Forbidden

from .errors import InvalidToken


def _bearer_token(request: HttpRequest) -> str | None:
    return get_authorization_credential(request, headless_settings.JWT_AUTHORIZATION_HEADER_SCHEME)


class _Refused(Exception):
    pass


@functools.lru_cache(maxsize=4096)
def _checked_token(token: str) -> tuple[dict[str, Any], str]:
    """An access token's claims (signature, expiry and use checked by allauth) and the session
    key it names. A client sends the same token on every request until it expires, and checking
    one costs ~0.1 ms of CPU (PyJWT, the session id's decryption): each process checks a token
    once. Refusals raise, so they are never remembered; the expiry is checked again on each use.
    """
    payload = jwt_internal.decode_token(token, "access")
    session_key = jwt_internal.session_key_from_sid(payload["sid"]) if payload else None
    if payload is None or not session_key:
        raise _Refused
    return payload, session_key


def _token_claims(token: str) -> tuple[dict[str, Any], str] | None:
    try:
        payload, session_key = _checked_token(token)
    except _Refused:
        return None
    if payload["exp"] <= time.time():
        return None
    return dict(payload), session_key


class JWTAuth(JWTTokenAuth):
    """``Authorization: Bearer <access token>`` (allauth's JWTTokenAuth, described as HTTP bearer
    in the OpenAPI document). Sets ``request.user``; ``request.auth`` is the token's payload."""

    openapi_type: str = "http"
    openapi_scheme: str = "bearer"
    openapi_bearerFormat: str = "JWT"

    def __call__(self, request: HttpRequest) -> Any:
        # allauth's JWTTokenAuth with stateful validation, the user's row read through
        # peerlearn.accounts.usercache (one query saved on every request).
        token = _bearer_token(request)
        if token is None:
            if request.META.get("HTTP_AUTHORIZATION"):
                raise InvalidToken("Send the access token as `Authorization: Bearer <token>`.")
            return None
        claims = _token_claims(token)
        if claims is None:
            raise InvalidToken()
        payload, session_key = claims
        session = lookup_session(session_key)
        user = session_user(session) if session is not None else None
        if user is None or user_id_to_str(user) != payload["sub"]:
            raise InvalidToken()
        request.user = user
        return payload


class SessionAuth(AuthBase):
    """The signed-in browser session (like ninja's ``django_auth``), CSRF-checked on unsafe
    methods. Without a signed-in session this says nothing, so the caller gets a 401 rather
    than a confusing CSRF refusal."""

    openapi_type: str = "apiKey"
    openapi_in: str = "cookie"
    openapi_name: str = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        csrf_exempt = getattr(request, "_ninja_csrf_exempt", False)
        if not csrf_exempt and check_csrf(request) is not None:
            raise Forbidden(
                "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header.",
                code="csrf_failed",
            )
        return user


jwt_auth = JWTAuth()
session_auth = SessionAuth()
API_AUTH: list[Callable[[HttpRequest], Any]] = [jwt_auth, session_auth]


def request_user(request: HttpRequest) -> User:
    """The authenticated caller of an operation that requires authentication."""
    user = request.user
    assert user.is_authenticated  # guaranteed by the operation's auth
    return cast(User, user)


def optional_user(request: HttpRequest) -> User | None:
    """The caller of a public operation, if they identified themselves (a presented but bad
    bearer token is still refused)."""
    if jwt_auth(request) is not None:
        return request_user(request)
    if request.user.is_authenticated:
        return cast(User, request.user)
    return None
