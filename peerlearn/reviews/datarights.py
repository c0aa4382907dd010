"""Reviews: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``ReviewsConfig.ready``)."""

from __future__ import annotations

from peerlearn.accounts.datarights import rows
from peerlearn.accounts.hooks import DataExportCollecting
from peerlearn.common import hooks

from .models import ALL_DIMENSIONS, Review


def subscribe() -> None:
    hooks.subscribe(DataExportCollecting, export)


def export(event: DataExportCollecting) -> None:
    u = event.user.pk
    fields = ("booking_id", "direction", *ALL_DIMENSIONS, "overall", "comment", "created_at")
    event.kinds["reviews_written"] = lambda: rows(Review.objects.filter(author_id=u), *fields)
