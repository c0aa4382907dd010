"""Help-request sockets (read-only; the pages write over HTTP):

- ``/ws/help/<request_id>/``: the learner of that request hears who was asked and who answered;
- ``/ws/help/offers/``: a tutor hears about their offers (new, taken, cancelled, expired).

Both are routed in ``config/routing.py``.
"""

from __future__ import annotations

from peerlearn.common.errors import ServiceError
from peerlearn.common.realtime import CLOSE_FORBIDDEN, ListeningSocket, database_sync_to_async

from . import events, selectors


class HelpConsumer(ListeningSocket):
    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        request_id = self.scope.get("url_route", {}).get("kwargs", {}).get("request_id")
        if request_id is not None:
            try:
                await database_sync_to_async(selectors.access_help_request)(
                    user=user, request_id=int(request_id)
                )
            except ServiceError:
                await self.close(code=CLOSE_FORBIDDEN)
                return
            group = events.request_group(int(request_id))
        else:
            group = events.tutor_group(user.pk)
        await self.listen(group)
