"""Template helpers of the room page, and the room link on a session's page (scheduling's
template: scheduling sits below live, so it asks here rather than importing live)."""

from __future__ import annotations

import json

from django import template

from peerlearn.accounts.models import User
from peerlearn.live import selectors
from peerlearn.live.turn import TURN_CREDENTIAL_TTL_SECONDS, ice_servers_for
from peerlearn.scheduling.models import Booking

register = template.Library()


@register.filter
def ice_servers_json(user: User) -> str:
    """The ICE servers (with TURN credentials) the API's /live/ice-servers would answer, in the
    page itself: the call can start without waiting for that request."""
    servers = ice_servers_for(user.pk)
    return json.dumps({"ice_servers": servers, "ttl_seconds": TURN_CREDENTIAL_TTL_SECONDS})


@register.simple_tag
def room_link(booking: Booking) -> selectors.RoomLink | None:
    """``{% room_link booking as room %}``: see ``selectors.room_link``."""
    return selectors.room_link(booking)
