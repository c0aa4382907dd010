"""iCalendar (RFC 5545) documents: invitations (REQUEST / CANCEL) and the private feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Booking

PRODID = "-//PeerLearn//Sessions//EN"


def _calendar(method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _event(booking: Booking, *, cancelled: bool, attendees: Iterable[tuple[str, str]]) -> Event:
    event = Event()
    event.add("uid", f"{booking.uid}@peerlearn")
    event.add("sequence", booking.sequence)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    title = booking.title or f"{booking.subject.name} with {booking.tutor.display_name}"
    event.add("summary", f"PeerLearn: {title}")
    url = settings.SITE_URL + reverse("scheduling:detail", args=[booking.pk])
    event.add("description", f"{booking.note}\n\n{url}".strip())
    event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress("mailto:no-reply@peerlearn.local")
    organizer.params["cn"] = vText("PeerLearn")
    event.add("organizer", organizer)
    for name, email in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=False)
    return event


def invitation(booking: Booking, *, cancelled: bool = False) -> str:
    """A METHOD:REQUEST (or CANCEL) calendar with one event; the UID is stable per booking and
    SEQUENCE grows with every change, so calendar apps update the same entry."""
    cal = _calendar("CANCEL" if cancelled else "REQUEST")
    people = [
        (c.user.display_name, c.user.email) for c in booking.claims.all() if c.active or cancelled
    ]
    cal.add_component(_event(booking, cancelled=cancelled, attendees=people))
    return cal.to_ical().decode()


def feed(bookings: Iterable[Booking], *, owner_name: str) -> str:
    cal = _calendar()
    cal.add("x-wr-calname", f"PeerLearn — {owner_name}")
    cal.add("refresh-interval;value=duration", "PT1H")
    for booking in bookings:
        cal.add_component(_event(booking, cancelled=False, attendees=[]))
    return cal.to_ical().decode()
