"""Background work for scheduling."""

from __future__ import annotations

from django.db import transaction
from django.tasks import task

from .models import Booking, SentReminder, TimeClaim
from .notify import Kind, describe_offset, notify_booking


@task()
def send_booking_reminder(
    booking_id: int, sequence: int, user_id: int, offset_minutes: int
) -> bool:
    """Remind one participant. Does nothing (returns False) when the booking has changed since
    the reminder was scheduled, is no longer confirmed, or the user left it."""
    booking = Booking.objects.filter(pk=booking_id).first()
    if (
        booking is None
        or booking.sequence != sequence
        or booking.status != Booking.Status.CONFIRMED
    ):
        return False
    still_in = (
        booking.tutor_id == user_id
        or TimeClaim.objects.filter(booking=booking, user_id=user_id, active=True).exists()
    )
    if not still_in:
        return False
    with transaction.atomic():
        _, created = SentReminder.objects.get_or_create(
            booking=booking, sequence=sequence, user_id=user_id, offset_minutes=offset_minutes
        )
        if not created:
            return False
        notify_booking(
            booking_id,
            Kind.BOOKING_REMINDER,
            recipients=[user_id],
            when=describe_offset(offset_minutes),
        )
    return True
