"""judge(): one submission, one box, every test; the verdicts (docs/judge.md)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from sandbox import languages, redact
from sandbox.box import SPARES, Box
from sandbox.compare import COMPARE_MODES, text_equal, values_equal
from sandbox.errors import SandboxUnavailable
from sandbox.safejson import bounded_json

logger = logging.getLogger("sandbox")

KINDS = ("function", "stdio")
COMPILE_BUDGET_S = languages.COMPILE_WALL_MS / 1000 + 3.0  # the compile's own wall + slack
SLACK_S = 5.0
PER_TEST_SLACK_S = 0.1
SHOWN_CHARS = 4096
COMPILE_OUTPUT_CHARS = 8192
ATTEMPTS = 2  # a fault of ours (the box or its supervisor failing) is retried once
PASSING = ("accepted", "ran")

ProgressCallback = Callable[[int, int, dict[str, Any]], None]


class BoxFault(Exception):
    """The box or its supervisor failed for a reason of ours, not the program's."""


class _CompileError(Exception):
    """A syntax error the JavaScript runner found before running any of the user's code."""


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
    """Compile `code` once and run the tests in one sandbox; returns the verdicts.

    A test with `"hidden": true` shows only its verdict, a quantised time and memory, and a
    redacted error (sandbox/redact.py); judging stops at the first hidden test that fails
    (`failed_test` says which), while the other tests always all run.

    Raises SandboxUnavailable when bubblewrap or the language's toolchain is missing or the
    box cannot be created, ValueError for a malformed request.
    """
    _validate(language, kind, signature, compare)
    if len(code.encode()) > languages.MAX_SOURCE_BYTES:
        limit = languages.MAX_SOURCE_BYTES // 1024
        return _summary([], tests, "compile_error", f"the source is longer than {limit} KB")
    request = _Request(
        language,
        code,
        kind,
        signature,
        tests,
        compare,
        float_tolerance,
        time_limit_ms,
        memory_limit_mb,
        output_limit_kb,
        on_progress,
    )
    fault = ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return request.run()
        except BoxFault as error:
            fault = str(error)
            logger.error(
                "judge: fault of the judge (attempt %d of %d): %s", attempt, ATTEMPTS, fault
            )
    return _summary([], tests, "internal_error", f"the judge failed: {fault[-2000:]}")


class _Request:
    def __init__(
        self,
        language: str,
        code: str,
        kind: str,
        signature: dict[str, Any] | None,
        tests: list[dict[str, Any]],
        compare: str,
        float_tolerance: float,
        time_limit_ms: int,
        memory_limit_mb: int,
        output_limit_kb: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.language, self.code, self.kind = language, code, kind
        self.tests, self.compare, self.tolerance = tests, compare, float_tolerance
        self.time_limit_ms, self.memory_limit_mb = time_limit_ms, memory_limit_mb
        self.on_progress = on_progress
        output_kb = max(output_limit_kb, _output_room_kb(tests))
        self.limits = languages.run_limits(language, time_limit_ms, memory_limit_mb, output_kb)
        self.plan = languages.build_plan(language, code, kind, signature, self.limits)
        self.max_reply = 8 * self.limits["output_bytes"] + (1 << 20)  # JSON escaping
        # Which boxes may judge this submission after another one (sandbox/box.py, Spares):
        # those of the same language and the same limits the supervisor holds itself.
        held = ("nproc", "nofile", "stack_bytes")
        self.reuse_key = (language, *(self.limits[name] for name in held))

    def run(self) -> dict[str, Any]:
        deadline = time.monotonic() + submission_budget_s(self.time_limit_ms, len(self.tests))
        results: list[dict[str, Any]] = []
        output = ""
        stopped = False
        # Normally one box judges every test. Only when the kernel's OOM killer took the box
        # down with a test (its supervisor or bwrap chosen as a victim) does that test end as
        # Memory Limit Exceeded and the tests after it run in a fresh box.
        while len(results) < len(self.tests):
            with SPARES.take(languages.toolchain_path("python"), self.reuse_key) as box:
                compiled = self._compile(box, deadline)
                if isinstance(compiled, str):
                    box.finished_cleanly = True
                    return self._rest_skipped(results, compiled)
                output = output or str(compiled.get("output", ""))
                box.set_memory(self.limits["memory_bytes"])
                while len(results) < len(self.tests):
                    index = len(results)
                    test = self.tests[index]
                    if box.timed_out or stopped:
                        result = _skipped(index)
                    else:
                        try:
                            result = self._one(box, index, test, deadline)
                        except _CompileError as error:  # found by the first run (JavaScript)
                            box.finished_cleanly = True
                            return _summary([], self.tests, "compile_error", str(error))
                        stopped = bool(test.get("hidden")) and result["verdict"] not in PASSING
                    results.append(result)
                    if self.on_progress is not None:
                        self.on_progress(index + 1, len(self.tests), result)
                    if result.pop("box_lost", False) and not stopped:
                        break  # the rest in a fresh box
                else:
                    box.finished_cleanly = True
        return _summary(results, self.tests, None, output)

    def _compile(self, box: Box, deadline: float) -> dict[str, Any] | str:
        """The supervisor's "compiled" reply, or the compile error (a message) it ends in."""
        box.set_memory(languages.COMPILE_MEMORY)
        oom_kills = box.oom_kills()
        compiled = None
        if box.started(deadline):
            plan = {**self.plan, "meter": box.meter()}
            compiled = box.request(plan, deadline, self.max_reply)
        if compiled is None:
            if box.timed_out:
                return "compilation took too long"
            if box.oom_kills() > oom_kills:
                return f"compilation needed more than {languages.COMPILE_MEMORY >> 20} MB"
            failure = box.failure()
            if failure.startswith("bwrap:") or "bwrap: " in failure:
                raise SandboxUnavailable(f"bubblewrap cannot create the sandbox: {failure}")
            raise BoxFault(f"the box ended before compiling: {failure}")
        if compiled.get("status") == "internal_error":
            raise BoxFault(f"the supervisor failed compiling: {compiled.get('fault', '')}")
        if not compiled.get("ok"):
            return str(compiled.get("output"))
        return compiled

    def _rest_skipped(self, results: list[dict[str, Any]], compile_output: str) -> dict[str, Any]:
        """A compile error; or, in a fresh box after an OOM kill, the remaining tests skipped."""
        if not results:
            return _summary(results, self.tests, "compile_error", compile_output)
        results += [_skipped(index) for index in range(len(results), len(self.tests))]
        return _summary(results, self.tests, None, compile_output)

    def _one(self, box: Box, index: int, test: dict[str, Any], deadline: float) -> dict[str, Any]:
        oom_kills = box.oom_kills()
        reply = box.request(_test_message(self.kind, test), deadline, self.max_reply)
        if reply is None and box.timed_out:
            result = {**_skipped(index), "verdict": "time_limit_exceeded"}
        elif reply is None and box.oom_kills() > oom_kills:
            # The OOM killer took the supervisor (or bwrap) too: the box passed its limit.
            memory_kb = self.memory_limit_mb * 1024
            result = {**_skipped(index), "verdict": "memory_limit_exceeded"}
            result["memory_kb"] = memory_kb
        elif reply is None:
            raise BoxFault(f"the box ended during test {index}: {box.failure()}")
        elif reply.get("status") == "internal_error":
            raise BoxFault(f"the supervisor failed in test {index}: {reply.get('fault', '')}")
        elif reply.get("status") == "compile_error":
            raise _CompileError(str(reply.get("output", "")))
        else:
            result = _grade(index, reply, test, self.kind, self.compare, self.tolerance)
        if test.get("hidden"):
            result = self._hidden(result)
        if reply is None and not box.timed_out:
            result["box_lost"] = True
        return result

    def _hidden(self, result: dict[str, Any]) -> dict[str, Any]:
        """Only what cannot carry the test's input (sandbox/redact.py)."""
        verdict = result["verdict"]
        return {
            **result,
            "time_ms": redact.quantised(result["time_ms"], self.time_limit_ms, redact.TIME_STEPS),
            "memory_kb": redact.quantised(
                result["memory_kb"], self.memory_limit_mb * 1024, redact.MEMORY_STEPS
            ),
            "output": "",
            "stdout": "",
            "error": redact.hidden_error(self.language, verdict, result["error"], self.code),
            "hidden": True,
        }


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
    verdict, error = str(reply.get("status")), str(reply.get("error", ""))
    output = reply.get("result") if kind == "function" else reply.get("stdout")
    output = output if isinstance(output, str) else ""
    if verdict == "ok":
        if "expected" not in test:
            verdict = "ran"
        elif kind == "stdio":
            same = text_equal(output, test["expected"], compare, tolerance)
            verdict = "accepted" if same else "wrong_answer"
        else:
            try:
                value = bounded_json(output)
            except ValueError as problem:
                verdict = "runtime_error"
                deep = "nested" in str(problem)
                error = (
                    "the return value is nested too deeply"
                    if deep
                    else "the return value could not be read as JSON"
                )
            else:
                same = values_equal(value, test["expected"], compare, tolerance)
                verdict = "accepted" if same else "wrong_answer"
    stdout = reply.get("stdout")
    return {
        "index": index,
        "verdict": verdict,
        "time_ms": int(reply.get("time_ms", 0)),
        "memory_kb": int(reply.get("memory_kb", 0)),
        "output": _shown(output),
        "stdout": _shown(stdout if isinstance(stdout, str) else "") if kind == "function" else "",
        "error": error,
    }


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


def _first_failure(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((r for r in results if r["verdict"] not in (*PASSING, "skipped")), None)


def _overall(results: list[dict[str, Any]]) -> str:
    failed = _first_failure(results)
    if failed is not None:
        return str(failed["verdict"])
    if any(result["verdict"] == "skipped" for result in results):
        return "time_limit_exceeded"  # the submission as a whole ran out of time
    if results and all(result["verdict"] == "ran" for result in results):
        return "ran"
    return "accepted"


def _summary(
    results: list[dict[str, Any]],
    tests: list[dict[str, Any]],
    verdict: str | None,
    compile_output: str,
) -> dict[str, Any]:
    failed = _first_failure(results)
    return {
        "verdict": verdict or _overall(results),
        "compile_output": compile_output[:COMPILE_OUTPUT_CHARS],
        "passed": sum(result["verdict"] == "accepted" for result in results),
        "total": len(tests),
        "failed_test": None if failed is None else failed["index"],
        "time_ms": max((result["time_ms"] for result in results), default=0),
        "memory_kb": max((result["memory_kb"] for result in results), default=0),
        "tests": results,
    }
