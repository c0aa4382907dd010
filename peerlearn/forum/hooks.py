"""What the forum tells the apps above it (``peerlearn.common.hooks``; subscribers in their
``AppConfig.ready()``).

- ``UpvoteGiven``: a vote on a thread or a reply became +1 (exactly one of the ids is set).
  Gamification awards the post's author points, once per voter and post.
- ``AnswerAccepted``: a reply was accepted as its thread's answer. Gamification awards its
  author points.
"""

from __future__ import annotations

from dataclasses import dataclass

from peerlearn.common.hooks import Event


@dataclass(frozen=True)
class UpvoteGiven(Event):
    voter_id: int
    thread_id: int | None = None
    reply_id: int | None = None


@dataclass(frozen=True)
class AnswerAccepted(Event):
    reply_id: int
