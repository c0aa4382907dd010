"""Every verdict in every language, both problem kinds, the comparison modes and every type of
the types table, judged in the real sandbox."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import SandboxUnavailable, judge, judging
from sandbox.languages import cpp_type
from sandbox.tests.support import SOLVE, judge_all, request, verdicts

pytestmark = pytest.mark.usefixtures("sandbox")

TESTS = [{"args": [3], "expected": 6}, {"args": [-4], "expected": -8}]

PROGRAMS = {
    "python": {
        "accepted": "def solve(n):\n    return n * 2\n",
        "wrong_answer": "def solve(n):\n    return n + 1\n",
        "time_limit_exceeded": "def solve(n):\n    while True:\n        pass\n",
        "memory_limit_exceeded": "def solve(n):\n    return len([0] * 10**9)\n",
        "runtime_error": "def solve(n):\n    raise ValueError('boom')\n",
        "output_limit_exceeded": "def solve(n):\n    while True:\n        print('x' * 999)\n",
        "compile_error": "def solve(n)\n    return n\n",
    },
    "cpp": {
        "accepted": "int solve(int n) { return n * 2; }",
        "wrong_answer": "int solve(int n) { return n + 1; }",
        "time_limit_exceeded": "int solve(int n) { volatile long x = 0; for (;;) x++; }",
        "memory_limit_exceeded": (
            "int solve(int n) { vector<long long> v(1LL << 31); return v[n]; }"
        ),
        "runtime_error": 'int solve(int n) { throw runtime_error("boom"); }',
        "output_limit_exceeded": "int solve(int n) { for (;;) cout << string(999, 'x'); }",
        "compile_error": "int solve(int n) { return n * ; }",
    },
    "javascript": {
        "accepted": "function solve(n) { return n * 2; }",
        "wrong_answer": "function solve(n) { return n + 1; }",
        "time_limit_exceeded": "function solve(n) { for (;;) {} }",
        "memory_limit_exceeded": (
            "function solve(n) { const a = []; for (;;) a.push(new Array(1e6).fill(n)); }"
        ),
        "runtime_error": "function solve(n) { throw new Error('boom'); }",
        # console.log to a pipe queues in memory while a loop never yields: write synchronously.
        "output_limit_exceeded": (
            "function solve(n) { for (;;) require('fs').writeSync(1, 'x'.repeat(999)); }"
        ),
        "compile_error": "function solve(n) { return n * ; }",
    },
}


@pytest.mark.parametrize("language", PROGRAMS)
def test_every_verdict(language: str) -> None:
    programs = PROGRAMS[language]
    results = judge_all(
        [
            request(language, code, TESTS, time_limit_ms=500, memory_limit_mb=128)
            for code in programs.values()
        ]
    )
    for expected, result in zip(programs, results, strict=True):
        assert result["verdict"] == expected, (expected, result)
    accepted, wrong, tle, mle, runtime, ole, compile_error = results
    assert accepted["passed"] == 2 and accepted["total"] == 2
    assert verdicts(wrong) == ["wrong_answer", "wrong_answer"]
    assert all(test["time_ms"] >= 500 for test in tle["tests"])
    assert "boom" in runtime["tests"][0]["error"]
    assert verdicts(ole) == ["output_limit_exceeded"] * 2  # every test runs, none stops the rest
    assert compile_error["tests"] == [] and compile_error["compile_output"]
    assert accepted["tests"][0]["output"] == "6" and accepted["compile_output"] == ""
    assert mle["verdict"] == "memory_limit_exceeded"


def test_compile_errors_name_the_users_line() -> None:
    [result] = judge_all([request("cpp", "int solve(int n) {\n  return n +;\n}", TESTS)])
    assert result["verdict"] == "compile_error"
    assert "solution.cpp:2" in result["compile_output"]


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("python", "import sys\nsys.stdout.write(str(sum(map(int, sys.stdin.read().split()))))\n"),
        (
            "cpp",
            "#include <iostream>\nint main() { long long a, b; std::cin >> a >> b;"
            ' std::cout << a + b << "\\n"; }',
        ),
        (
            "javascript",
            "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/)"
            ".map(Number);\nconsole.log(a + b);",
        ),
    ],
)
def test_stdio_programs_read_stdin_and_are_compared_line_by_line(language: str, code: str) -> None:
    tests = [
        {"input": "1 2\n", "expected": "3\n\n"},
        {"input": "2 2\n", "expected": "5\n"},
        {"input": "40 2\n"},  # a custom run: no expected output
    ]
    progress: list[tuple[int, int, str]] = []
    result = judge(
        language=language,
        code=code,
        kind="stdio",
        signature=None,
        tests=tests,
        on_progress=lambda done, total, test: progress.append((done, total, test["verdict"])),
    )
    assert result["verdict"] == "wrong_answer"
    assert verdicts(result) == ["accepted", "wrong_answer", "ran"]
    assert result["passed"] == 1 and result["total"] == 3
    assert result["tests"][2]["output"].strip() == "42"
    assert result["tests"][2]["stdout"] == ""
    assert progress == [(1, 3, "accepted"), (2, 3, "wrong_answer"), (3, 3, "ran")]


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("python", "def solve(n):\n    print('thinking', n)\n    return n * 2\n"),
        ("cpp", 'int solve(int n) { cout << "thinking " << n << endl; return n * 2; }'),
        ("javascript", "function solve(n) { console.log('thinking', n); return n * 2; }"),
    ],
)
def test_user_prints_never_corrupt_the_return_value(language: str, code: str) -> None:
    result = judge(**request(language, code, [{"args": [21]}]))
    assert result["verdict"] == "ran"
    assert result["tests"][0]["output"] == "42"
    assert result["tests"][0]["stdout"] == "thinking 21\n"


def _echo(language: str, type_name: str) -> str:
    if language == "python":
        return "def echo(value):\n    return value\n"
    if language == "javascript":
        return "function echo(value) { return value; }"
    return f"{cpp_type(type_name)} echo(const {cpp_type(type_name)}& value) {{ return value; }}"


VALUES: dict[str, list[Any]] = {
    "int": [-2147483648, 7],
    "long": [9007199254740991, -5],
    "double": [2.5, 3, -1e-7],
    "bool": [True, False],
    "string": ['héllo "quoted"\n\ttab \\ 😀 \u0001', ""],
}


def _type_cases() -> Iterator[tuple[str, list[Any]]]:
    for scalar, values in VALUES.items():
        yield scalar, values
        yield f"{scalar}[]", [values, []]
        yield f"{scalar}[][]", [[values, [], values[:1]]]


@pytest.mark.parametrize("language", PROGRAMS)
def test_every_type_of_the_table_round_trips(language: str) -> None:
    cases = list(_type_cases())
    requests = [
        request(
            language,
            _echo(language, type_name),
            [{"args": [value], "expected": value} for value in values],
            signature={
                "name": "echo",
                "params": [{"name": "value", "type": type_name}],
                "returns": type_name,
            },
        )
        for type_name, values in cases
    ]
    for (type_name, _), result in zip(cases, judge_all(requests), strict=True):
        assert result["verdict"] == "accepted", (type_name, result)


def test_doubles_given_as_integers_arrive_as_doubles() -> None:
    signature = {
        "name": "describe",
        "params": [{"name": "x", "type": "double"}, {"name": "grid", "type": "double[][]"}],
        "returns": "string",
    }
    tests = [{"args": [3, [[1, 2.5]]], "expected": "float float"}]
    python = (
        "def describe(x, grid):\n    return f'{type(x).__name__} {type(grid[0][0]).__name__}'\n"
    )
    cpp = (
        "string describe(double x, vector<vector<double>> grid) {"
        ' return x / 2 == 1.5 && grid[0][0] / 2 == 0.5 ? "float float" : "int"; }'
    )
    results = judge_all(
        [
            request("python", python, tests, signature=signature),
            request("cpp", cpp, tests, signature=signature),
        ]
    )
    assert [result["verdict"] for result in results] == ["accepted", "accepted"]


def test_cpp_takes_arguments_by_value_reference_or_const_reference() -> None:
    signature = {
        "name": "two_sum",
        "params": [{"name": "nums", "type": "int[]"}, {"name": "target", "type": "int"}],
        "returns": "int[]",
    }
    code = (
        "vector<int> twoSum(const vector<int>& nums, int& target) {\n"
        "  unordered_map<int, int> seen;\n"
        "  for (int i = 0; i < (int)nums.size(); i++) {\n"
        "    auto it = seen.find(target - nums[i]);\n"
        "    if (it != seen.end()) return {it->second, i};\n"
        "    seen[nums[i]] = i;\n"
        "  }\n"
        "  return {};\n"
        "}\n"
    )
    tests = [
        {"args": [[2, 7, 11, 15], 9], "expected": [0, 1]},
        {"args": [[3, 3], 6], "expected": [0, 1]},
    ]
    assert judge(**request("cpp", code, tests, signature=signature))["verdict"] == "accepted"


@pytest.mark.parametrize(
    ("compare", "expected_verdicts"),
    [
        ("exact", ["wrong_answer", "wrong_answer", "accepted"]),
        ("unordered", ["accepted", "wrong_answer", "accepted"]),
        ("float", ["wrong_answer", "accepted", "accepted"]),
    ],
)
def test_comparison_modes(compare: str, expected_verdicts: list[str]) -> None:
    signature = {
        "name": "answer",
        "params": [{"name": "case", "type": "int"}],
        "returns": "double[]",
    }
    code = "def answer(case):\n    return [[3, 2, 1], [1 / 3], [1.0]][case]\n"
    tests: list[dict[str, Any]] = [
        {"args": [0], "expected": [1, 2, 3]},
        {"args": [1], "expected": [0.333333]},
        {"args": [2], "expected": [1]},
    ]
    stdio = "print(*[['3', '2', '1'], ['0.3333333'], ['1.0']][int(input())], sep='\\n')\n"
    stdio_tests = [
        {"input": "0", "expected": "1\n2\n3\n"},
        {"input": "1", "expected": "0.333333\n"},
        {"input": "2", "expected": "1.0\n"},
    ]
    function, lines = judge_all(
        [
            request("python", code, tests, signature=signature, compare=compare),
            request("python", stdio, stdio_tests, kind="stdio", signature=None, compare=compare),
        ]
    )
    assert verdicts(function) == expected_verdicts
    assert verdicts(lines) == expected_verdicts


def test_a_custom_run_only_has_verdict_ran() -> None:
    result = judge(
        **request("python", "def solve(n):\n    return n\n", [{"args": [1]}, {"args": [2]}])
    )
    assert result["verdict"] == "ran"
    assert result["passed"] == 0
    assert [test["output"] for test in result["tests"]] == ["1", "2"]


def test_a_crash_in_a_custom_run_is_still_reported() -> None:
    result = judge(
        **request("python", "def solve(n):\n    return 1 // n\n", [{"args": [1]}, {"args": [0]}])
    )
    assert result["verdict"] == "runtime_error"
    assert verdicts(result) == ["ran", "runtime_error"]
    assert "ZeroDivisionError" in result["tests"][1]["error"]


def test_tests_past_the_submissions_wall_clock_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(judging, "submission_budget_s", lambda time_limit_ms, count: 2.5)
    code = "import time\ndef solve(n):\n    time.sleep(60)\n"
    result = judge(**request("python", code, TESTS * 2, time_limit_ms=300))
    assert verdicts(result) == [
        "time_limit_exceeded",
        "time_limit_exceeded",
        "skipped",
        "skipped",
    ]
    assert result["verdict"] == "time_limit_exceeded"


def test_a_function_that_is_missing_is_a_runtime_error() -> None:
    result = judge(**request("javascript", "function other(n) { return n; }", TESTS))
    assert result["verdict"] == "runtime_error"
    assert "does not define a function solve" in result["tests"][0]["error"]


# --- SandboxUnavailable: never run anything unsandboxed -------------------------------------


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A folder that bwrap, which runs as nobody when the tests run as root, can enter."""
    folder = Path(tempfile.mkdtemp(prefix="peerlearn-judge-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def _executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(
        path.stat().st_mode
        | stat.S_IXUSR
        | stat.S_IXGRP
        | stat.S_IXOTH
        | stat.S_IRGRP
        | stat.S_IROTH
    )
    return path


def test_a_missing_bwrap_raises_with_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERLEARN_BWRAP", "/nonexistent/bwrap")
    with pytest.raises(SandboxUnavailable, match="apt install bubblewrap"):
        judge(**request("python", "def solve(n):\n    return n\n", TESTS))


def test_a_bwrap_without_namespaces_raises(
    monkeypatch: pytest.MonkeyPatch, world_readable_dir: Path
) -> None:
    fake = _executable(
        world_readable_dir / "bwrap",
        "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n",
    )
    monkeypatch.setenv("PEERLEARN_BWRAP", str(fake))
    with pytest.raises(SandboxUnavailable, match="No permissions to create new namespace"):
        judge(**request("python", "def solve(n):\n    return n\n", TESTS))


@pytest.mark.parametrize(
    ("language", "variable", "package"),
    [
        ("cpp", "PEERLEARN_JUDGE_GXX", "g\\+\\+"),
        ("javascript", "PEERLEARN_JUDGE_NODE", "nodejs"),
        ("python", "PEERLEARN_JUDGE_PYTHON", "python3"),
    ],
)
def test_a_missing_toolchain_raises_naming_the_package(
    monkeypatch: pytest.MonkeyPatch, language: str, variable: str, package: str
) -> None:
    monkeypatch.setenv(variable, "/nonexistent/tool")
    with pytest.raises(SandboxUnavailable, match=f"apt install {package}"):
        judge(**request(language, "x", TESTS))


def test_an_interpreter_outside_usr_is_refused(
    monkeypatch: pytest.MonkeyPatch, world_readable_dir: Path
) -> None:
    """The project's own virtualenv (or any interpreter outside /usr) never enters the box."""
    python = _executable(world_readable_dir / "python3", "#!/bin/sh\nexit 0\n")
    monkeypatch.setenv("PEERLEARN_JUDGE_PYTHON", str(python))
    with pytest.raises(SandboxUnavailable, match="only exposes /usr"):
        judge(**request("python", "def solve(n):\n    return n\n", TESTS))


def test_the_request_is_validated() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        judge(**request("ruby", "", TESTS))
    with pytest.raises(ValueError, match="unknown type"):
        judge(**request("python", "", TESTS, signature={**SOLVE, "returns": "char"}))


def test_results_are_json_serialisable() -> None:
    result = judge(**request("python", "def solve(n):\n    return n * 2\n", TESTS))
    assert json.loads(json.dumps(result)) == result
    assert set(result) == {
        "verdict",
        "compile_output",
        "passed",
        "total",
        "failed_test",
        "time_ms",
        "memory_kb",
        "tests",
    }
    assert set(result["tests"][0]) == {
        "index",
        "verdict",
        "time_ms",
        "memory_kb",
        "output",
        "stdout",
        "error",
    }
    assert os.environ.get("PEERLEARN_BWRAP") is None
