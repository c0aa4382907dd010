"""Small problems for tests, built through the same path as the bank (ProblemSpec → import)."""

from __future__ import annotations

import shutil

from conftest import require
from peerlearn.practice.bank import ProblemSpec, starter_from_signature
from peerlearn.practice.models import Problem
from peerlearn.practice.services import problem_import

ADD_SIGNATURE = {
    "name": "add_numbers",
    "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
    "returns": "int",
}
ADD_RIGHT = "def add_numbers(a, b):\n    return a + b\n"
ADD_WRONG = "def add_numbers(a, b):\n    return a - b\n"
# A value that appears only in a hidden test: it must never reach a page, an API answer or a
# socket.
HIDDEN_MARKER = 987654321


def make_add_problem(slug: str = "add-two", **overrides: object) -> Problem:
    spec = ProblemSpec(
        slug=slug,
        title="Add two numbers",
        difficulty="easy",
        topics=["math"],
        kind="function",
        statement="Return **a + b**.",
        constraints=["`-10^9 <= a, b <= 10^9`"],
        signature=ADD_SIGNATURE,
        starter_code={
            lang: starter_from_signature(ADD_SIGNATURE, lang)
            for lang in ("python", "cpp", "javascript")
        },
        samples=[{"args": [1, 2], "expected": 3}, {"args": [-4, 4], "expected": 0}],
        hidden=[
            {"args": [HIDDEN_MARKER, 1], "expected": HIDDEN_MARKER + 1},
            {"args": [0, 0], "expected": 0},
            {"args": [-5, -7], "expected": -12},
        ],
        reference_solutions={"python": ADD_RIGHT},
        editorial="Just add them.",
    )
    for key, value in overrides.items():
        setattr(spec, key, value)
    problem, _ = problem_import(spec)
    return problem


def make_stdio_problem(slug: str = "sum-lines") -> Problem:
    spec = ProblemSpec(
        slug=slug,
        title="Sum the lines",
        difficulty="medium",
        topics=["math", "strings"],
        kind="stdio",
        statement="Print the sum of the numbers, one per line.",
        starter_code={
            "python": "import sys\n",
            "cpp": "int main() {}\n",
            "javascript": "// read stdin\n",
        },
        samples=[{"input": "1\n2\n", "expected": "3\n"}],
        hidden=[{"input": "5\n6\n7\n", "expected": "18\n"}],
        reference_solutions={
            "python": "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n"
        },
    )
    problem, _ = problem_import(spec)
    return problem


def require_sandbox() -> None:
    require(shutil.which("bwrap") is not None, "bubblewrap (the judge's sandbox)")
