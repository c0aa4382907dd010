"""Gamification: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``GamificationConfig.ready``)."""

from __future__ import annotations

from peerlearn.accounts.datarights import rows
from peerlearn.accounts.hooks import DataExportCollecting
from peerlearn.common import hooks

from .models import BadgeAward, PointAward


def subscribe() -> None:
    hooks.subscribe(DataExportCollecting, export)


def export(event: DataExportCollecting) -> None:
    u = event.user.pk
    event.kinds["points"] = lambda: rows(
        PointAward.objects.filter(user_id=u), "points", "cause", "title", "earned_at"
    )
    event.kinds["badges"] = lambda: rows(BadgeAward.objects.filter(user_id=u), "badge", "earned_at")
