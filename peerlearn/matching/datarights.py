"""Matching: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``MatchingConfig.ready``)."""

from __future__ import annotations

from peerlearn.accounts.hooks import AccountErasing
from peerlearn.common import hooks

from .services import tutor_document_refresh


def subscribe() -> None:
    hooks.subscribe(AccountErasing, erase)


def erase(event: AccountErasing) -> None:
    """The person's subjects and windows are gone: their search document goes too."""
    tutor_document_refresh(user=event.user)
