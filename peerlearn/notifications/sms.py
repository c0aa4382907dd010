"""Sending text messages through a pluggable backend, chosen by ``settings.SMS_BACKEND``.

``SMS_BACKEND`` values:

- ``console`` (default): write each message to the log and to standard output.
- ``memory``: keep messages in ``sms.outbox`` (tests of other apps assert on it).
- ``twilio+https://SID:TOKEN@api.twilio.com/?from=%2B15550001111`` (or ``twilio+http://`` for a
  local gateway): a Twilio-style HTTP API. Optional ``timeout`` (seconds, default 10) in the
  query. A path after the host is kept as the API's base path.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import IO, Protocol
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .models import E164_PATTERN

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0


class SmsError(Exception):
    """The gateway refused the message or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> None:
        """Send ``body`` to the E.164 number ``to``; raise ``SmsError`` on failure."""
        ...


class ConsoleSmsBackend:
    """Development default: nothing leaves the machine."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream

    def send(self, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", to, body)
        stream = self.stream or sys.stdout
        stream.write(f"--- SMS to {to} ---\n{body}\n---\n")
        stream.flush()


@dataclass(frozen=True)
class OutboxMessage:
    to: str
    body: str


# Filled by MemorySmsBackend, like django.core.mail.outbox for email.
outbox: list[OutboxMessage] = []


class MemorySmsBackend:
    def send(self, to: str, body: str) -> None:
        outbox.append(OutboxMessage(to=to, body=body))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A gateway that redirects a POST is misconfigured; report it instead of following."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass(frozen=True)
class HttpSmsBackend:
    """A Twilio-style gateway: ``POST {base_url}/2010-04-01/Accounts/{sid}/Messages.json`` with
    form fields ``From``, ``To``, ``Body`` and HTTP basic auth ``sid:token``."""

    base_url: str
    account_sid: str
    auth_token: str = field(repr=False)
    from_number: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def messages_url(self) -> str:
        sid = quote(self.account_sid, safe="")
        return f"{self.base_url}/2010-04-01/Accounts/{sid}/Messages.json"

    def send(self, to: str, body: str) -> None:
        credentials = f"{self.account_sid}:{self.auth_token}".encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked when parsed
            self.messages_url,
            data=urlencode({"From": self.from_number, "To": to, "Body": body}).encode(),
            method="POST",
            headers={
                "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "User-Agent": "PeerLearn-SMS/1",
            },
        )
        opener = urllib.request.build_opener(_NoRedirects())
        try:
            with opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = _gateway_message(exc.read())
            raise SmsError(
                f"The SMS gateway refused the message (HTTP {exc.code}): {detail}",
                status=exc.code,
            ) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SmsError(f"The SMS gateway could not be reached: {reason}") from exc
        logger.info("SMS to %s accepted by %s", to, self.base_url)


def _gateway_message(raw: bytes) -> str:
    """The gateway's own explanation: Twilio's JSON ``message``, else the start of the body."""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return text[:300] or "no explanation given"


def parse_sms_backend(value: str) -> SmsBackend:
    """Build the backend an ``SMS_BACKEND`` value describes (see the module docstring)."""
    raw = (value or "console").strip()
    if raw in {"console", "console:"}:
        return ConsoleSmsBackend()
    if raw in {"memory", "memory:"}:
        return MemorySmsBackend()
    parts = urlsplit(raw)
    if parts.scheme not in {"twilio+http", "twilio+https"}:
        raise ImproperlyConfigured(
            "SMS_BACKEND must be 'console', 'memory' or a twilio+http(s):// URL, "
            f"got scheme {parts.scheme!r}"
        )
    if not parts.hostname:
        raise ImproperlyConfigured("SMS_BACKEND needs a host, e.g. twilio+https://api.twilio.com")
    sid = unquote(parts.username or "")
    token = unquote(parts.password or "")
    if not sid or not token:
        raise ImproperlyConfigured("SMS_BACKEND needs the account SID and token: SID:TOKEN@host")
    query = parse_qs(parts.query)
    from_number = query.get("from", [""])[0].strip()
    if not re.fullmatch(E164_PATTERN, from_number):
        raise ImproperlyConfigured(
            "SMS_BACKEND needs ?from= with the sending number in E.164 (write + as %2B)"
        )
    try:
        timeout = float(query.get("timeout", [DEFAULT_TIMEOUT_SECONDS])[0])
    except ValueError as exc:
        raise ImproperlyConfigured("SMS_BACKEND timeout must be a number of seconds") from exc
    if timeout <= 0:
        raise ImproperlyConfigured("SMS_BACKEND timeout must be positive")
    try:
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured("SMS_BACKEND has an invalid port") from exc
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{port}" if port else host
    http_scheme = parts.scheme.removeprefix("twilio+")
    return HttpSmsBackend(
        base_url=f"{http_scheme}://{netloc}{parts.path.rstrip('/')}",
        account_sid=sid,
        auth_token=token,
        from_number=from_number,
        timeout=timeout,
    )


def get_sms_backend() -> SmsBackend:
    return parse_sms_backend(getattr(settings, "SMS_BACKEND", "console"))
