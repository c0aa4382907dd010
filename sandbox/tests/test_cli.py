"""`python -m sandbox judge|check|problem`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.__main__ import main

pytestmark = pytest.mark.usefixtures("sandbox")

ROOT = Path(__file__).resolve().parents[2]

PROBLEM_TOML = """
title = "Double"
difficulty = "easy"
topics = ["math"]
kind = "function"
time_limit_ms = 1000
memory_limit_mb = 128
compare = "exact"

[function]
name = "double_it"
params = [{ name = "n", type = "int" }]
returns = "int"
"""


def _problem(folder: Path) -> Path:
    (folder / "tests").mkdir(parents=True)
    (folder / "solutions").mkdir()
    (folder / "problem.toml").write_text(PROBLEM_TOML)
    (folder / "tests" / "samples.json").write_text(json.dumps([{"args": [1], "expected": 2}]))
    hidden = [{"args": [n], "expected": 2 * n} for n in range(-5, 6)]
    (folder / "tests" / "hidden.json").write_text(json.dumps(hidden))
    (folder / "solutions" / "python.py").write_text("def double_it(n):\n    return 2 * n\n")
    (folder / "solutions" / "javascript.js").write_text("function doubleIt(n) { return n + n; }")
    return folder


def test_problem_judges_every_reference_solution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _problem(tmp_path / "double")
    assert main(["problem", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "python" in out and "javascript" in out and out.count("accepted") == 2
    assert "12/12" in out


def test_problem_reports_a_wrong_solution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _problem(tmp_path / "double")
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def double_it(n):\n    return n * n\n")
    assert main(["problem", str(folder), "--language", "python", "--solution", str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "wrong_answer" in out and "expected: 2" in out and 'got:      "1"' in out


def test_judge_prints_the_result_json_and_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sol.cpp").write_text("int doubleIt(int n) { return 2 * n; }")
    (tmp_path / "tests.json").write_text(json.dumps([{"args": [4], "expected": 8}, {"args": [5]}]))
    signature = {"name": "double_it", "params": [{"name": "n", "type": "int"}], "returns": "int"}
    (tmp_path / "sig.json").write_text(json.dumps(signature))
    argv = ["judge", "--language", "cpp", "--code", str(tmp_path / "sol.cpp")]
    argv += ["--tests", str(tmp_path / "tests.json"), "--signature", str(tmp_path / "sig.json")]
    assert main([*argv, "--time-limit-ms", "1500", "--memory-limit-mb", "64"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["verdict"] == "accepted"
    assert [test["verdict"] for test in result["tests"]] == ["accepted", "ran"]
    assert "test 2/2: ran" in captured.err


def test_judge_runs_stdio_programs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sol.py").write_text("print(input()[::-1])\n")
    (tmp_path / "tests.json").write_text(json.dumps([{"input": "abc\n", "expected": "cba\n"}]))
    argv = ["judge", "--language", "python", "--kind", "stdio"]
    argv += ["--code", str(tmp_path / "sol.py"), "--tests", str(tmp_path / "tests.json")]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "accepted"


def test_check_reports_every_language_in_a_fresh_process() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "sandbox", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    for language in ("python", "cpp", "javascript"):
        assert f"{language}" in completed.stdout
    assert completed.stdout.count(" ok ") == 3
