"""Group names and event shapes on the practice socket (/ws/practice/). Events carry progress
and session state only: never code, never a test's input or expected output."""

from __future__ import annotations

from typing import Literal, TypedDict

from peerlearn.common.realtime import Person

LOBBY_GROUP = "practice.lobby"


def user_group(user_id: int) -> str:
    """One user's solo practice pages (their own submissions outside a session)."""
    return f"practice.user.{user_id}"


def session_group(session_id: int) -> str:
    """Both participants of a practice session: their submissions' progress and the seat."""
    return f"practice.session.{session_id}"


class ProgressEvent(TypedDict):
    type: Literal["progress"]
    submission: int
    user: Person
    mode: str
    state: str
    done: int
    total: int
    passed: int
    verdict: str
    verdict_label: str


class SessionEvent(TypedDict):
    type: Literal["session"]
    status: str
    guest: Person | None
    ended_by: Person | None


class LobbyEvent(TypedDict):
    type: Literal["lobby"]
