"""PeerLearn's code judge: runs submissions in a bubblewrap sandbox and returns verdicts.

Django-free on purpose (docs/judge.md): the practice app calls `judge` from a task.
"""

from __future__ import annotations

from sandbox.errors import SandboxUnavailable
from sandbox.judging import judge
from sandbox.languages import LANGUAGES

__all__ = ["LANGUAGES", "SandboxUnavailable", "judge"]
