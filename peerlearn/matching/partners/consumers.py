"""/ws/practice/partners/: a signed-in learner's partner-queue events (``events.user_group``):
``matched`` (with the session's URL, the page goes there) and ``queue`` (the place may have
moved; the page reloads its status). Listen-only; the page joins and leaves over HTTP."""

from __future__ import annotations

from peerlearn.common.realtime import CLOSE_FORBIDDEN, ListeningSocket

from . import events


class PartnerQueueConsumer(ListeningSocket):
    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.listen(events.user_group(user.pk))
