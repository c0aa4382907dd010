"""Template helpers of the room page."""

from __future__ import annotations

import json

from django import template

from peerlearn.accounts.models import User
from peerlearn.live.turn import TURN_CREDENTIAL_TTL_SECONDS, ice_servers_for

register = template.Library()


@register.filter
def ice_servers_json(user: User) -> str:
    """The ICE servers (with TURN credentials) the API's /live/ice-servers would answer, in the
    page itself: the call can start without waiting for that request."""
    servers = ice_servers_for(user.pk)
    return json.dumps({"ice_servers": servers, "ttl_seconds": TURN_CREDENTIAL_TTL_SECONDS})
