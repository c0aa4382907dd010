"""Fixtures of the judge's tests: they need the real sandbox (bubblewrap, g++, node, python3)."""

from __future__ import annotations

import functools

import pytest

from conftest import require
from sandbox import LANGUAGES, SandboxUnavailable, judge


@functools.cache
def sandbox_problem(language: str) -> str | None:
    """Why `language` cannot be judged here, or None when it can."""
    try:
        judge(
            language=language,
            code={
                "python": "def f():\n    return 1\n",
                "cpp": "int f() { return 1; }\n",
                "javascript": "function f() { return 1; }\n",
            }[language],
            kind="function",
            signature={"name": "f", "params": [], "returns": "int"},
            tests=[{"args": [], "expected": 1}],
        )
    except SandboxUnavailable as error:
        return str(error)
    return None


@pytest.fixture
def sandbox() -> None:
    """Skip (or fail under PEERLEARN_REQUIRE_ALL=1) unless every language can be judged."""
    for language in LANGUAGES:
        problem = sandbox_problem(language)
        require(problem is None, f"the judge's sandbox for {language} ({problem})")
