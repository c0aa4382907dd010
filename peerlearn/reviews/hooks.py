"""What reviews tells the apps above it (``peerlearn.common.hooks``; subscribers in their
``AppConfig.ready()``).

- ``ReviewSubmitted``: a review was stored for the first time (edits publish nothing).
  Gamification awards its author points and rechecks both sides' badges.
- ``TutorReviewRevealed``: a review of a tutor became visible, changing their rating without an
  award. Gamification rechecks the tutor's badges (Top Mentor).
"""

from __future__ import annotations

from dataclasses import dataclass

from peerlearn.common.hooks import Event


@dataclass(frozen=True)
class ReviewSubmitted(Event):
    review_id: int


@dataclass(frozen=True)
class TutorReviewRevealed(Event):
    tutor_id: int
