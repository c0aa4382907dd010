"""What practice tells the apps above it (``peerlearn.common.hooks``; subscribers in their
``AppConfig.ready()``). Published inside the judging transaction; handlers run on commit.

- ``SubmitJudged``: a Submit (not a Run) finished judging, whatever its verdict. Practice
  partners update the submitter's topic ratings; the LTI app sends a graded link's best score
  to the gradebook.
- ``SubmitAccepted``: a Submit was Accepted (any, not only a problem's first). Gamification
  rechecks the practice badges.
- ``ProblemSolved``: the first Accepted Submit of a problem was recorded as the user's Solve.
  Gamification awards points by difficulty.
"""

from __future__ import annotations

from dataclasses import dataclass

from peerlearn.common.hooks import Event


@dataclass(frozen=True)
class SubmitJudged(Event):
    submission_id: int


@dataclass(frozen=True)
class SubmitAccepted(Event):
    submission_id: int


@dataclass(frozen=True)
class ProblemSolved(Event):
    solve_id: int
