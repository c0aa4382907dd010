"""Talking to a running production topology (deploy/prod.py) from benchmarks and tests: plain
urllib, signing in through the real login form. Its cookies are marked Secure, which Python's
cookie jar withholds over http://localhost, so the cookies are carried by hand."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message

DEMO_PASSWORD = "peerlearn-demo"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _cookies(headers: Message) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def request(
    base: str,
    path: str,
    *,
    cookies: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes, Message]:
    """(status, cookies set, body, headers) of one request, redirects not followed; ``data`` is
    sent as a form, ``raw`` as it is."""
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = urllib.parse.urlencode(data).encode() if data is not None else raw
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {base}")
    req = urllib.request.Request(base + path, data=body, headers=sent)  # noqa: S310
    try:
        with _opener.open(req, timeout=30) as response:
            return response.status, _cookies(response.headers), response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, _cookies(exc.headers), exc.read(), exc.headers


def login(base: str, email: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    """Sign in through /accounts/login/; the session and CSRF cookies."""
    status, cookies, body, _ = request(base, "/accounts/login/")
    assert status == 200, f"login page answered {status}"
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert match, "no CSRF token on the login page"
    status, more, _, _ = request(
        base,
        "/accounts/login/",
        cookies=cookies,
        data={"csrfmiddlewaretoken": match.group(1).decode(), "login": email, "password": password},
        headers={"Referer": base + "/accounts/login/"},
    )
    cookies |= more
    assert status == 302 and "sessionid" in cookies, f"login as {email} failed ({status})"
    return cookies
