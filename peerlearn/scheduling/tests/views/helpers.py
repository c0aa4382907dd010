"""Shared helpers of the scheduling page tests: times, logged-in clients, bookings, a form's
CSRF token and flash messages."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import quote

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from peerlearn.accounts.models import User
from peerlearn.scheduling import forms as scheduling_forms
from peerlearn.scheduling import services
from peerlearn.scheduling.models import Booking

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday; Berlin is UTC+1, New York UTC-5
SLOT = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)  # Wednesday: 11:00 in Berlin, 05:00 in New York


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def subject_of(tutor: User) -> int:
    return tutor.teaching_subjects.get().subject_id


def request_booking(
    tutor: User, learner: User, start: datetime = SLOT, minutes: int = 60, note: str = ""
) -> Booking:
    return services.booking_request(
        actor=learner,
        tutor_id=tutor.pk,
        subject_id=subject_of(tutor),
        starts_at=start,
        duration_minutes=minutes,
        note=note,
    )


def confirmed(tutor: User, learner: User, start: datetime = SLOT) -> Booking:
    booking = request_booking(tutor, learner, start)
    return services.booking_accept(actor=tutor, booking_id=booking.pk)


def token(moment: datetime) -> str:
    return quote(scheduling_forms.slot_token(moment))


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def act(client: Client, booking: Booking, action: str, **data: Any) -> Any:
    return client.post(reverse("scheduling:action", args=[booking.pk, action]), data)


def _time(text: str) -> time:
    return time.fromisoformat(text)
