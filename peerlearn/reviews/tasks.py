"""Background work for reviews."""

from __future__ import annotations

from django.tasks import task


@task()
def notify_reveals_task(booking_id: int) -> int:
    """At a booking's review-window close: tell every subject whose review is now revealed
    (and was not announced yet). Idempotent."""
    from .services import reviews_notify_revealed

    return reviews_notify_revealed(booking_id=booking_id)
