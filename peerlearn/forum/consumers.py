"""Live forum pages, read-only (the pages post through HTTP):

- /ws/forum/threads/<id>/: a thread's new replies, scores, the accepted answer, moderation
  changes; access checked with ``selectors.access_thread``;
- /ws/forum/categories/<id>/: a category's newly started threads; access checked with
  ``selectors.access_category_by_id``.

Access is checked at connect and again before forwarding an event once ``RECHECK_SECONDS``
have passed since the last check: someone who leaves the institution of a members-only
category (or whose thread was removed) is told and disconnected instead of listening on."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from peerlearn.accounts.models import User
from peerlearn.common.errors import NotFound, ServiceError
from peerlearn.common.realtime import (
    CLOSE_FORBIDDEN,
    RECHECK_SECONDS,
    EventMessage,
    ListeningSocket,
    database_sync_to_async,
)

from . import events, selectors


class ForumSocket(ListeningSocket):
    """Join one group after an access check; forward its events while access holds."""

    recheck_seconds: float = RECHECK_SECONDS

    async def join_checked(
        self, check: Callable[[Any, int], object], object_id: int, group: str
    ) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        try:
            await database_sync_to_async(check)(user, object_id)
        except ServiceError:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.check, self.object_id, self.checked_at = check, object_id, time.monotonic()
        await self.listen(group)

    async def realtime_event(self, message: EventMessage) -> None:
        if await self.access_holds():
            await self.send_json(message["event"])

    def check_again(self) -> None:
        """The access check on the user as they are now (not the connect-time copy, whose
        profile — and so institution — may have changed)."""
        user = User.objects.select_related("profile").filter(pk=self.scope["user"].pk).first()
        if user is None or not user.is_active:
            raise NotFound("No such user.")
        self.check(user, self.object_id)

    async def access_holds(self) -> bool:
        if time.monotonic() - self.checked_at < self.recheck_seconds:
            return True
        self.checked_at = time.monotonic()
        try:
            await database_sync_to_async(self.check_again)()
        except ServiceError:
            await self.send_error("access_ended", "You can no longer read this discussion.")
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        return True


class ThreadConsumer(ForumSocket):
    async def connect(self) -> None:
        thread_id = int(self.scope["url_route"]["kwargs"]["thread_id"])
        await self.join_checked(selectors.access_thread, thread_id, events.thread_group(thread_id))


class CategoryConsumer(ForumSocket):
    async def connect(self) -> None:
        category_id = int(self.scope["url_route"]["kwargs"]["category_id"])
        await self.join_checked(
            selectors.access_category_by_id, category_id, events.category_group(category_id)
        )
