"""Sign-in limits: failed attempts are counted per account and per client address.

- **Per account** (``ACCOUNT_RATE_LIMITS["login_failed"]``, e.g. 5 failures in 5 minutes): a
  locked account answers ``429 Too Many Requests`` with ``Retry-After`` (the seconds until the
  oldest counted failure expires), on the sign-in page and in the headless API alike.
- **Per address** (``ACCOUNT_RATE_LIMITS["login_failed_ip"]``, e.g. 10 failures a minute):
  stops one address from guessing across many accounts. A whole campus can share one address
  behind NAT, so a browser that has signed in to an account before carries a signed *device
  cookie* naming it (hashed), and its attempts on that account skip the address limit (the
  account limit still applies). Everyone else's known browsers keep working while an address
  is refused; only first sign-ins from that address wait (OWASP's "device cookies").

A successful sign-in takes back the attempt it used from both counts (as allauth does).
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal import ratelimit
from allauth.core.internal.httpkit import is_headless_request
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

APP = "allauth.account"
ACCOUNT_ACTION = "login_failed"
ADDRESS_ACTION = "login_failed_ip"
DEVICE_COOKIE = "peerlearn_device"
DEVICE_SALT = "peerlearn.accounts.device"
DEVICE_MAX_AGE = 365 * 86400
DEVICE_MAX_LOGINS = 5


def _login_hash(login: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{login.lower()}".encode()).hexdigest()[:32]


def _device_logins(request: HttpRequest) -> list[str]:
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        logins = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return []
    return [h for h in logins if isinstance(h, str)] if isinstance(logins, list) else []


def is_known_device(request: HttpRequest, login: str) -> bool:
    return _login_hash(login) in _device_logins(request)


def remember_device(request: HttpRequest, response: HttpResponse, login: str) -> None:
    """Mark this browser as one that has signed in to ``login`` (kept for a year)."""
    logins = [h for h in _device_logins(request) if h != _login_hash(login)]
    logins = [_login_hash(login), *logins][:DEVICE_MAX_LOGINS]
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(logins, salt=DEVICE_SALT),
        max_age=DEVICE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _seconds_until_free(request: HttpRequest, action: str, key: str | None) -> int:
    """How long until ``action`` would be allowed again: the oldest counted attempt's expiry."""
    wait = 1.0
    now = time.time()
    for rate in ratelimit.get_rates(app=APP, action=action):
        cache_key = ratelimit.get_cache_key(request, app=APP, action=action, rate=rate, key=key)
        history = [t for t in cache.get(cache_key, []) if t > now - rate.duration]
        if len(history) >= rate.amount:
            oldest_counted = sorted(history, reverse=True)[rate.amount - 1]
            wait = max(wait, oldest_counted + rate.duration - now)
    return math.ceil(wait)


def _refusal(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = f"Too many failed sign-in attempts. Try again in {retry_after} seconds."
    response: HttpResponse
    if is_headless_request(request):
        response = JsonResponse(
            {
                "status": 429,
                "errors": [{"code": "too_many_login_attempts", "message": message}],
            },
            status=429,
        )
    else:
        context = {"message": message, "retry_after": retry_after}
        response = render(request, "account/login_limited.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def consume_attempt(request: HttpRequest, *, login: str, key: str) -> ratelimit.RateLimitUsage:
    """Count a sign-in attempt for ``login`` (``key``: allauth's key for it) or refuse it with
    a 429 (``ImmediateHttpResponse``). The returned usage is rolled back on success."""
    account = ratelimit.consume(request, app=APP, action=ACCOUNT_ACTION, key=key)
    if account is None:
        wait = _seconds_until_free(request, ACCOUNT_ACTION, key)
        raise ImmediateHttpResponse(_refusal(request, wait))
    usages = list(account.usage)
    if not is_known_device(request, login):
        address = ratelimit.consume(request, app=APP, action=ADDRESS_ACTION)
        if address is None:
            account.rollback()
            wait = _seconds_until_free(request, ADDRESS_ACTION, None)
            raise ImmediateHttpResponse(_refusal(request, wait))
        usages += address.usage
    return ratelimit.RateLimitUsage(usage=usages)


def credentials_login(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email", credentials.get("username", ""))).lower()
