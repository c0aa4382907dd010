"""Command line: `python -m sandbox judge|check|problem ...` (docs/judge.md, "Command line")."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from sandbox import LANGUAGES, SandboxUnavailable, judge
from sandbox.compare import COMPARE_MODES
from sandbox.problem import load_problem

CHECKS: dict[str, str] = {
    "python": "def add(a, b):\n    return a + b\n",
    "cpp": "int add(int a, int b) { return a + b; }\n",
    "javascript": "function add(a, b) { return a + b; }\n",
}
CHECK_SIGNATURE = {
    "name": "add",
    "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
    "returns": "int",
}


def _progress(done: int, total: int, result: dict[str, Any]) -> None:
    print(f"test {done}/{total}: {result['verdict']} ({result['time_ms']} ms)", file=sys.stderr)


def run_judge(args: argparse.Namespace) -> int:
    signature = None
    if args.kind == "function":
        if args.signature is None:
            raise SystemExit("--kind function needs --signature sig.json")
        signature = json.loads(Path(args.signature).read_text(encoding="utf-8"))
    result = judge(
        language=args.language,
        code=Path(args.code).read_text(encoding="utf-8"),
        kind=args.kind,
        signature=signature,
        tests=json.loads(Path(args.tests).read_text(encoding="utf-8")),
        compare=args.compare,
        float_tolerance=args.float_tolerance,
        time_limit_ms=args.time_limit_ms,
        memory_limit_mb=args.memory_limit_mb,
        output_limit_kb=args.output_limit_kb,
        on_progress=_progress,
    )
    print(json.dumps(result, indent=2))
    return 0


def run_check(_args: argparse.Namespace) -> int:
    """Judge a trivial submission in every language; exit 1 unless all work."""
    failures = 0
    for language in LANGUAGES:
        started = time.perf_counter()
        try:
            result = judge(
                language=language,
                code=CHECKS[language],
                kind="function",
                signature=CHECK_SIGNATURE,
                tests=[{"args": [2, 3], "expected": 5}],
            )
        except SandboxUnavailable as error:
            print(f"{language:11} unavailable: {error}")
            failures += 1
            continue
        elapsed = (time.perf_counter() - started) * 1000
        ok = result["verdict"] == "accepted"
        failures += not ok
        detail = "" if ok else f": {json.dumps(result)[:2000]}"
        print(f"{language:11} {'ok' if ok else 'FAILED'} ({elapsed:.0f} ms){detail}")
    return 1 if failures else 0


def run_problem(args: argparse.Namespace) -> int:
    """Judge the reference solutions of problem folders; exit 1 unless all are accepted."""
    failures = 0
    for folder in args.folders:
        problem = load_problem(Path(folder))
        solutions = problem.solutions
        if args.solution:
            if not args.language:
                raise SystemExit("--solution needs --language")
            solutions = {args.language: Path(args.solution)}
        elif args.language:
            solutions = {k: v for k, v in solutions.items() if k == args.language}
        if not solutions:
            print(f"{problem.slug}: no solution to judge")
            failures += 1
        for language, path in solutions.items():
            started = time.perf_counter()
            result = judge(
                language=language,
                code=path.read_text(encoding="utf-8"),
                **problem.judge_arguments(),
            )
            elapsed = time.perf_counter() - started
            ok = result["verdict"] == "accepted"
            failures += not ok
            print(
                f"{problem.slug:28} {language:11} {result['verdict']:22} "
                f"{result['passed']}/{result['total']} max {result['time_ms']} ms "
                f"{result['memory_kb'] // 1024} MB ({elapsed:.1f} s)"
            )
            if not ok:
                _explain(result, problem.tests)
    return 1 if failures else 0


def _explain(result: dict[str, Any], tests: list[dict[str, Any]]) -> None:
    if result["compile_output"]:
        print(_indent(result["compile_output"]))
    for test in result["tests"]:
        if test["verdict"] in ("accepted", "ran"):
            continue
        expected = tests[test["index"]].get("expected")
        print(f"  test {test['index']}: {test['verdict']} in {test['time_ms']} ms")
        print(f"    expected: {json.dumps(expected)[:300]}")
        print(f"    got:      {json.dumps(test['output'])[:300]}")
        if test["error"]:
            print(_indent(test["error"]))
        return


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    judge_cmd = commands.add_parser("judge", help="judge one submission, print the result JSON")
    judge_cmd.add_argument("--language", choices=LANGUAGES, required=True)
    judge_cmd.add_argument("--code", required=True, help="the source file")
    judge_cmd.add_argument("--tests", required=True, help="a JSON array of tests")
    judge_cmd.add_argument("--kind", choices=("function", "stdio"), default="function")
    judge_cmd.add_argument("--signature", help="JSON: {name, params, returns}")
    judge_cmd.add_argument("--compare", choices=COMPARE_MODES, default="exact")
    judge_cmd.add_argument("--float-tolerance", type=float, default=1e-6)
    judge_cmd.add_argument("--time-limit-ms", type=int, default=2000)
    judge_cmd.add_argument("--memory-limit-mb", type=int, default=256)
    judge_cmd.add_argument("--output-limit-kb", type=int, default=256)
    judge_cmd.set_defaults(handler=run_judge)

    check_cmd = commands.add_parser("check", help="does the sandbox work for every language?")
    check_cmd.set_defaults(handler=run_check)

    problem_cmd = commands.add_parser("problem", help="judge a problem folder's solutions")
    problem_cmd.add_argument("folders", nargs="+", metavar="DIR")
    problem_cmd.add_argument("--language", choices=LANGUAGES)
    problem_cmd.add_argument("--solution", help="judge this file instead (needs --language)")
    problem_cmd.set_defaults(handler=run_problem)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except SandboxUnavailable as error:
        print(f"sandbox unavailable: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
