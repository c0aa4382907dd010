"""What accounts tells the apps above it (``peerlearn.common.hooks``; subscribers in their
``AppConfig.ready()``). Both are published with ``on_commit=False``: the handlers run at once,
as the direct calls they replace did.

- ``TutorProfileChanged``: a person's profile, teaching subjects or availability windows
  changed, inside the transaction that changed them. Matching rewrites their search document
  in the same transaction.
- ``UserSuspended``: an account was suspended (the suspension is committed). Scheduling
  withdraws the person from every session that has not started, with a notice to the others.

- ``AccountNotice``: accounts has something to tell a person about their account (a data export
  is ready). Notifications delivers it (kind "account"), inside the publisher's transaction.

A person's rights over their data (``datarights``): each app answers for its own data in its
``datarights.py``, subscribed in its ``AppConfig.ready()``.

- ``DataExportCollecting``: an export is being built. Each app adds the kinds of data the
  person owns or wrote in it (``kinds``: file name → rows, read when the archive is written)
  and the files they uploaded (``files``: (archive path, file) pairs).
- ``AccountLeaving``: an account is about to be deleted (before the deletion's transaction).
  Each app takes the person out of what involves others and has not happened yet.
- ``AccountErasing``: inside the deletion's transaction, after accounts' own data. Each app
  deletes the person's files and private data, keeping what others need (anonymised).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models.fields.files import FieldFile

from peerlearn.common.hooks import Event

from .models import User


@dataclass(frozen=True)
class TutorProfileChanged(Event):
    user: User


@dataclass(frozen=True)
class UserSuspended(Event):
    actor: User
    user: User


Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class DataExportCollecting(Event):
    user: User
    kinds: dict[str, Callable[[], Rows]] = field(default_factory=dict)
    files: list[Iterable[tuple[str, FieldFile]]] = field(default_factory=list)


@dataclass(frozen=True)
class AccountLeaving(Event):
    user: User


@dataclass(frozen=True)
class AccountErasing(Event):
    user: User


@dataclass(frozen=True)
class AccountNotice(Event):
    user: User
    title: str
    body: str
    url: str = ""
