"""Web pages for scheduling: booking from a tutor's profile, "My sessions", a session's page with
its history and actions, group sessions, and the tutor's policy and calendar feed settings.

Thin adapters: parse the input, call a selector or a service, render. A service's refusal is
shown on the form or as a message, never as a server error. Times are shown, and typed, in the
viewer's own time zone."""

from __future__ import annotations

from .booking import book
from .feed_settings import scheduling_settings
from .groups import group_join, group_leave, group_sessions
from .sessions import booking_action, booking_detail, booking_ics, calendar_feed, my_sessions

__all__ = [
    "book",
    "booking_action",
    "booking_detail",
    "booking_ics",
    "calendar_feed",
    "group_join",
    "group_leave",
    "group_sessions",
    "my_sessions",
    "scheduling_settings",
]
