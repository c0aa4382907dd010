"""ICE servers for WebRTC: STUN from settings; TURN with short-lived per-user credentials in
coturn's REST-API scheme (``use-auth-secret``): username = "<expiry unix time>:<user id>",
credential = base64(HMAC-SHA1(TURN_SECRET, username))."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.conf import settings

TURN_CREDENTIAL_TTL_SECONDS = 3600


def turn_credentials(
    user_id: int, *, secret: str, ttl: int = TURN_CREDENTIAL_TTL_SECONDS, now: float | None = None
) -> tuple[str, str]:
    expiry = int((now if now is not None else time.time()) + ttl)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers_for(user_id: int) -> list[dict[str, object]]:
    servers: list[dict[str, object]] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, credential = turn_credentials(user_id, secret=settings.TURN_SECRET)
        servers.append(
            {"urls": list(settings.TURN_URLS), "username": username, "credential": credential}
        )
    return servers
