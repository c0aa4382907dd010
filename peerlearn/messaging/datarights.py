"""Messaging: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``MessagingConfig.ready``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models.fields.files import FieldFile

from peerlearn.accounts.datarights import rows
from peerlearn.accounts.hooks import AccountErasing, DataExportCollecting
from peerlearn.accounts.models import User
from peerlearn.common import hooks

from .models import Attachment, Message


def subscribe() -> None:
    hooks.subscribe(DataExportCollecting, export)
    hooks.subscribe(AccountErasing, erase)


def export(event: DataExportCollecting) -> None:
    u = event.user.pk
    event.kinds["messages"] = lambda: rows(
        Message.objects.filter(author_id=u), "id", "conversation_id", "body", "created_at"
    )
    event.files.append(_files(event.user))


def _files(user: User) -> Iterator[tuple[str, FieldFile]]:
    for attachment in Attachment.objects.filter(message__author=user):
        yield f"files/messages/{attachment.pk}-{attachment.original_name}", attachment.file


def erase(event: AccountErasing) -> None:
    user = event.user
    for attachment in Attachment.objects.filter(message__author=user):
        for field in (attachment.file, attachment.thumbnail):
            if field:
                field.delete(save=False)
        attachment.delete()
    # Messages stay in the others' conversations, emptied: they were private correspondence.
    Message.objects.filter(author=user).update(body="(deleted)")
