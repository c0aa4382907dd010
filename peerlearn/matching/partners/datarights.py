"""Practice partners: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``PracticePartnersConfig.ready``)."""

from __future__ import annotations

from peerlearn.accounts.hooks import AccountLeaving
from peerlearn.common import hooks

from .services import request_leave


def subscribe() -> None:
    hooks.subscribe(AccountLeaving, leave)


def leave(event: AccountLeaving) -> None:
    request_leave(actor=event.user)
