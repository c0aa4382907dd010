"""/ws/practice/: live judging progress and session state.

- ``?session=<uid>``: a participant of that practice session hears both people's progress
  (summaries only: counts and verdicts, never code) and seat changes;
- ``?lobby=1``: anyone signed in hears that the public lobby changed (the page reloads its list);
- neither: the user's own solo submissions' progress.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from peerlearn.common.errors import ServiceError
from peerlearn.common.realtime import CLOSE_FORBIDDEN, ListeningSocket, database_sync_to_async

from . import events, selectors


class PracticeConsumer(ListeningSocket):
    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        uid = (query.get("session") or [""])[0]
        if uid:
            try:
                session = await database_sync_to_async(selectors.access_session)(user=user, uid=uid)
            except ServiceError:
                await self.close(code=CLOSE_FORBIDDEN)
                return
            group = events.session_group(session.pk)
        elif query.get("lobby"):
            group = events.LOBBY_GROUP
        else:
            group = events.user_group(user.pk)
        await self.listen(group)
