"""Practice: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``PracticeConfig.ready``)."""

from __future__ import annotations

from peerlearn.accounts.datarights import rows
from peerlearn.accounts.hooks import AccountErasing, DataExportCollecting
from peerlearn.common import hooks

from .models import Draft, Submission


def subscribe() -> None:
    hooks.subscribe(DataExportCollecting, export)
    hooks.subscribe(AccountErasing, erase)


def export(event: DataExportCollecting) -> None:
    u = event.user.pk
    event.kinds["practice_submissions"] = lambda: rows(
        Submission.objects.filter(user_id=u),
        "id",
        "problem__slug",
        "language",
        "mode",
        "code",
        "verdict",
        "created_at",
    )
    event.kinds["practice_drafts"] = lambda: rows(
        Draft.objects.filter(user_id=u), "problem__slug", "language", "code", "updated_at"
    )


def erase(event: AccountErasing) -> None:
    Draft.objects.filter(user=event.user).delete()
    Submission.objects.filter(user=event.user).update(code="", custom_input="")
