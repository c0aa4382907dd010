"""Scheduling: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``SchedulingConfig.ready``)."""

from __future__ import annotations

from django.db.models import Q

from peerlearn.accounts.datarights import rows
from peerlearn.accounts.hooks import AccountLeaving, DataExportCollecting
from peerlearn.common import hooks

from .models import Booking
from .services import bookings_cancel_for_user


def subscribe() -> None:
    hooks.subscribe(DataExportCollecting, export)
    hooks.subscribe(AccountLeaving, leave)


def export(event: DataExportCollecting) -> None:
    u = event.user.pk
    event.kinds["bookings"] = lambda: rows(
        Booking.objects.filter(Q(tutor_id=u) | Q(claims__user_id=u)).distinct(),
        "id",
        "kind",
        "subject__name",
        "title",
        "starts_at",
        "ends_at",
        "status",
        "note",
    )


def leave(event: AccountLeaving) -> None:
    user = event.user
    bookings_cancel_for_user(actor=user, user=user, reason="The other participant left PeerLearn.")
