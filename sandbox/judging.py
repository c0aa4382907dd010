"""judge(): one submission, one box, every test; the verdicts (docs/judge.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sandbox import languages
from sandbox.box import Box
from sandbox.compare import COMPARE_MODES, text_equal, values_equal
from sandbox.errors import SandboxUnavailable

KINDS = ("function", "stdio")
COMPILE_BUDGET_S = 20.0
SLACK_S = 5.0
PER_TEST_SLACK_S = 0.1
SHOWN_CHARS = 4096
COMPILE_OUTPUT_CHARS = 8192

ProgressCallback = Callable[[int, int, dict[str, Any]], None]


def submission_budget_s(time_limit_ms: int, test_count: int) -> float:
    """Wall clock for a whole submission: compile, every test's wall limit, some slack."""
    per_test = languages.wall_ms(time_limit_ms) / 1000 + PER_TEST_SLACK_S
    return COMPILE_BUDGET_S + per_test * test_count + SLACK_S


def judge(
    *,
    language: str,
    code: str,
    kind: str,
    signature: dict[str, Any] | None,
    tests: list[dict[str, Any]],
    compare: str = "exact",
    float_tolerance: float = 1e-6,
    time_limit_ms: int = 2000,
    memory_limit_mb: int = 256,
    output_limit_kb: int = 256,
    on_progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Compile `code` once and run every test in one sandbox; returns the verdicts.

    Raises SandboxUnavailable when bubblewrap or the language's toolchain is missing or the
    box cannot be created, ValueError for a malformed request.
    """
    _validate(language, kind, signature, compare)
    deadline = time.monotonic() + submission_budget_s(time_limit_ms, len(tests))
    output_kb = max(output_limit_kb, _output_room_kb(tests))
    limits = languages.run_limits(language, time_limit_ms, memory_limit_mb, output_kb)
    plan = languages.build_plan(language, code, kind, signature, limits)
    max_reply = 8 * limits["output_bytes"] + (1 << 20)  # JSON escaping of the captured output
    results: list[dict[str, Any]] = []
    with Box(languages.toolchain_path("python")) as box:
        compiled = box.request(plan, deadline, max_reply)
        if compiled is None:
            failure = box.failure()
            if failure.startswith("bwrap:") or "bwrap: " in failure:
                raise SandboxUnavailable(f"bubblewrap cannot create the sandbox: {failure}")
            return _summary(results, len(tests), "internal_error", failure)
        if not compiled["ok"]:
            return _summary(results, len(tests), "compile_error", compiled["output"])
        for index, test in enumerate(tests):
            if box.timed_out or (results and results[-1]["verdict"] == "internal_error"):
                result = _skipped(index)
            else:
                reply = box.request(_test_message(kind, test), deadline, max_reply)
                if reply is None:
                    result = _lost(index, box)
                else:
                    result = _grade(index, reply, test, kind, compare, float_tolerance)
            results.append(result)
            if on_progress is not None:
                on_progress(index + 1, len(tests), result)
    return _summary(results, len(tests), None, compiled["output"])


def _output_room_kb(tests: list[dict[str, Any]]) -> int:
    """Twice the largest expected output: a correct answer is never over the output limit."""
    largest = 0
    for test in tests:
        if "expected" in test:
            expected = test["expected"]
            text = expected if isinstance(expected, str) else json.dumps(expected)
            largest = max(largest, len(text.encode()))
    return 2 * largest // 1024 + 1


def _validate(language: str, kind: str, signature: dict[str, Any] | None, compare: str) -> None:
    if language not in languages.LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {languages.LANGUAGES}")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    if compare not in COMPARE_MODES:
        raise ValueError(f"unknown comparison {compare!r}; expected one of {COMPARE_MODES}")
    if kind == "function":
        if not signature or not signature.get("name"):
            raise ValueError("a function-style problem needs a signature with a name")
        for param in signature.get("params", []):
            languages.check_type(param["type"])
        languages.check_type(signature["returns"])


def _test_message(kind: str, test: dict[str, Any]) -> dict[str, Any]:
    if kind == "function":
        return {"stdin": "", "args": json.dumps(test["args"])}
    return {"stdin": test["input"], "args": None}


def _shown(text: str | None) -> str:
    return (text or "")[:SHOWN_CHARS]


def _grade(
    index: int,
    reply: dict[str, Any],
    test: dict[str, Any],
    kind: str,
    compare: str,
    tolerance: float,
) -> dict[str, Any]:
    verdict, error = reply["status"], reply["error"]
    output = reply["result"] if kind == "function" else reply["stdout"]
    if verdict == "ok":
        if "expected" not in test:
            verdict = "ran"
        elif kind == "stdio":
            same = text_equal(output, test["expected"], compare, tolerance)
            verdict = "accepted" if same else "wrong_answer"
        else:
            try:
                value = json.loads(output)
            except ValueError:
                verdict, error = "runtime_error", "the return value could not be read as JSON"
            else:
                same = values_equal(value, test["expected"], compare, tolerance)
                verdict = "accepted" if same else "wrong_answer"
    return {
        "index": index,
        "verdict": verdict,
        "time_ms": reply["time_ms"],
        "memory_kb": reply["memory_kb"],
        "output": _shown(output),
        "stdout": _shown(reply["stdout"]) if kind == "function" else "",
        "error": error,
    }


def _lost(index: int, box: Box) -> dict[str, Any]:
    """The test whose reply never came: out of the submission's time, or the box died."""
    if box.timed_out:
        return {**_skipped(index), "verdict": "time_limit_exceeded"}
    return {**_skipped(index), "verdict": "internal_error", "error": box.failure()}


def _skipped(index: int) -> dict[str, Any]:
    return {
        "index": index,
        "verdict": "skipped",
        "time_ms": 0,
        "memory_kb": 0,
        "output": "",
        "stdout": "",
        "error": "",
    }


def _overall(results: list[dict[str, Any]]) -> str:
    for result in results:
        if result["verdict"] == "skipped":
            return "time_limit_exceeded"  # the submission as a whole ran out of time
        if result["verdict"] not in ("accepted", "ran"):
            return str(result["verdict"])
    if results and all(result["verdict"] == "ran" for result in results):
        return "ran"
    return "accepted"


def _summary(
    results: list[dict[str, Any]], total: int, verdict: str | None, compile_output: str
) -> dict[str, Any]:
    return {
        "verdict": verdict or _overall(results),
        "compile_output": compile_output[:COMPILE_OUTPUT_CHARS],
        "passed": sum(result["verdict"] == "accepted" for result in results),
        "total": total,
        "time_ms": max((result["time_ms"] for result in results), default=0),
        "memory_kb": max((result["memory_kb"] for result in results), default=0),
        "tests": results,
    }
