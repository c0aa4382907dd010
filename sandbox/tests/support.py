"""Helpers of the judge's tests: judge several submissions two at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox import judge

SOLVE = {"name": "solve", "params": [{"name": "n", "type": "int"}], "returns": "int"}
NO_ARGS = {"name": "attack", "params": [], "returns": "string"}
TRIVIAL: dict[str, Any] = {
    "language": "python",
    "code": "def solve(n):\n    return n * 2\n",
    "kind": "function",
    "signature": SOLVE,
    "tests": [{"args": [21], "expected": 42}],
}


def request(language: str, code: str, tests: list[dict[str, Any]], **options: Any) -> dict:
    """A judge() call's arguments: function-style `solve(n)` with a 1 s limit unless told."""
    return {
        "language": language,
        "code": code,
        "kind": options.pop("kind", "function"),
        "signature": options.pop("signature", SOLVE),
        "tests": tests,
        "time_limit_ms": options.pop("time_limit_ms", 1000),
        **options,
    }


def judge_all(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Judge every request, two boxes at a time (the machine has two cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda arguments: judge(**arguments), requests))


def verdicts(result: dict[str, Any]) -> list[str]:
    return [test["verdict"] for test in result["tests"]]
