"""Live-room endpoints of the JSON API."""

from django.http import HttpRequest
from ninja import Router, Schema

from peerlearn.api.auth import request_user

from .turn import TURN_CREDENTIAL_TTL_SECONDS, ice_servers_for

router = Router(tags=["live"])


class IceServer(Schema):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class IceServersOut(Schema):
    ice_servers: list[IceServer]
    ttl_seconds: int


@router.get(
    "/live/ice-servers",
    response=IceServersOut,
    summary="STUN/TURN servers with short-lived TURN credentials",
)
def ice_servers(request: HttpRequest) -> dict[str, object]:
    user = request_user(request)
    return {"ice_servers": ice_servers_for(user.pk), "ttl_seconds": TURN_CREDENTIAL_TTL_SECONDS}
