"""The forum: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``ForumConfig.ready``)."""

from __future__ import annotations

from peerlearn.accounts.datarights import rows
from peerlearn.accounts.hooks import DataExportCollecting
from peerlearn.common import hooks

from .models import Reply, Thread, Vote


def subscribe() -> None:
    hooks.subscribe(DataExportCollecting, export)


def export(event: DataExportCollecting) -> None:
    u = event.user.pk
    event.kinds["forum_threads"] = lambda: rows(
        Thread.objects.filter(author_id=u), "id", "title", "body", "created_at"
    )
    event.kinds["forum_replies"] = lambda: rows(
        Reply.objects.filter(author_id=u), "id", "thread_id", "body", "created_at"
    )
    event.kinds["forum_votes"] = lambda: rows(
        Vote.objects.filter(user_id=u), "thread_id", "reply_id", "value", "created_at"
    )
