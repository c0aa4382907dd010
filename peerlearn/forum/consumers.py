"""Live forum pages, read-only (the pages post through HTTP):

- /ws/forum/threads/<id>/: a thread's new replies, scores, the accepted answer, moderation
  changes; access checked at connect with ``selectors.access_thread``;
- /ws/forum/categories/<id>/: a category's newly started threads; access checked with
  ``selectors.access_category_by_id``.

A members-only category (and its threads) refuses non-members."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from peerlearn.common.errors import ServiceError
from peerlearn.live.consumers import CLOSE_FORBIDDEN, ListeningSocket

from . import events, selectors


class ForumSocket(ListeningSocket):
    """Join one group after an access check; forward its events."""

    async def join_checked(self, check: Any, object_id: int, group: str) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        try:
            await database_sync_to_async(check)(user, object_id)
        except ServiceError:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.join_user_groups()
        self.groups_joined.append(group)
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()


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
