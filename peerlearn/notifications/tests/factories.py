"""Small helpers for the notifications tests."""

from __future__ import annotations

from typing import Any

from peerlearn.accounts.models import User
from peerlearn.notifications.models import Notification
from peerlearn.notifications.tasks import Attachment

ICS = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//PeerLearn//Tests//EN\r\n"
    "METHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:booking-42@peerlearn.test\r\n"
    "SEQUENCE:0\r\n"
    "DTSTAMP:20260301T120000Z\r\n"
    "DTSTART:20260310T140000Z\r\n"
    "DTEND:20260310T150000Z\r\n"
    "SUMMARY:Graphs with Ada\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)
INVITE: Attachment = {
    "filename": "invite.ics",
    "content": ICS,
    "mimetype": "text/calendar; method=REQUEST",
}


def make_notification(user: User, **fields: Any) -> Notification:
    """A stored notification, without any delivery (for list and read tests)."""
    values: dict[str, Any] = {
        "kind": Notification.Kind.MESSAGE,
        "title": "You have a message",
        "body": "Hello there.",
        "url": "/notifications/",
    }
    values.update(fields)
    return Notification.objects.create(user=user, **values)
