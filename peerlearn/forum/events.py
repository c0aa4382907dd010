"""Group names and event payloads of the forum's live updates."""

from __future__ import annotations

from typing import Literal, TypedDict


def thread_group(thread_id: int) -> str:
    return f"forum.thread.{thread_id}"


def category_group(category_id: int) -> str:
    """Readers of a category's thread list: told when a thread is started there."""
    return f"forum.category.{category_id}"


class ThreadStartedEvent(TypedDict):
    type: Literal["thread"]
    id: int
    category: int


class ReplyEvent(TypedDict):
    type: Literal["reply"]
    id: int
    thread: int


class ScoreEvent(TypedDict):
    type: Literal["score"]
    post: Literal["thread", "reply"]
    id: int
    score: int


class AcceptedEvent(TypedDict):
    type: Literal["accepted"]
    thread: int
    reply: int | None


class ChangedEvent(TypedDict):
    """The thread's state (locked, pinned, moved, hidden) or a post changed: reload it."""

    type: Literal["changed"]
    post: Literal["thread", "reply"]
    id: int
