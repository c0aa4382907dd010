"""What scheduling tells the apps above it (``peerlearn.common.hooks``; subscribers in their
``AppConfig.ready()``).

- ``BookingAsked``: a learner asks a tutor for a one-to-one session; published before anything
  is stored, with ``on_commit=False``, so a handler may refuse the request by raising a
  ``ServiceError``. Messaging refuses it when the tutor blocked the learner.
- ``BookingCompleted``: ``services.booking_complete`` stored a booking as completed. Reviews asks
  both sides for a review; gamification awards the session's points.
"""

from __future__ import annotations

from dataclasses import dataclass

from peerlearn.accounts.models import User
from peerlearn.common.hooks import Event

from .models import Booking


@dataclass(frozen=True)
class BookingAsked(Event):
    learner: User
    tutor: User


@dataclass(frozen=True)
class BookingCompleted(Event):
    booking: Booking
