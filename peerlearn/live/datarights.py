"""Live rooms: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``LiveConfig.ready``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models.fields.files import FieldFile

from peerlearn.accounts.datarights import rows
from peerlearn.accounts.hooks import AccountErasing, DataExportCollecting
from peerlearn.accounts.models import User
from peerlearn.common import hooks

from .models import ChatMessage, RoomFile


def subscribe() -> None:
    hooks.subscribe(DataExportCollecting, export)
    hooks.subscribe(AccountErasing, erase)


def export(event: DataExportCollecting) -> None:
    u = event.user.pk
    event.kinds["room_chat"] = lambda: rows(
        ChatMessage.objects.filter(author_id=u), "id", "room_id", "body", "created_at"
    )
    event.files.append(_files(event.user))


def _files(user: User) -> Iterator[tuple[str, FieldFile]]:
    for room_file in RoomFile.objects.filter(uploader=user):
        yield f"files/rooms/{room_file.pk}-{room_file.original_name}", room_file.file


def erase(event: AccountErasing) -> None:
    for room_file in RoomFile.objects.filter(uploader=event.user):
        room_file.file.delete(save=False)
        room_file.delete()
