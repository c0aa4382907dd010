"""What a hidden test's error may say (sandbox/redact.py), without the sandbox."""

from __future__ import annotations

from sandbox.redact import hidden_error, quantised

CODE = "import sys\n\ndef solve(n):\n    raise ValueError(n)\n"


def test_python_keeps_a_builtin_exception_and_a_line_of_the_source() -> None:
    error = 'Traceback:\n  File "solution.py", line 4, in solve\nValueError: 123456\n'
    assert hidden_error("python", "runtime_error", error, CODE) == "ValueError on line 4"


def test_python_drops_a_class_the_program_named() -> None:
    error = 'Traceback:\n  File "solution.py", line 4, in solve\nLeak123456: 123456\n'
    shown = hidden_error("python", "runtime_error", error, CODE)
    assert "123456" not in shown and shown.startswith("the program failed")


def test_python_drops_a_line_outside_the_source() -> None:
    error = '  File "solution.py", line 123456, in solve\nValueError: x\n'
    assert hidden_error("python", "runtime_error", error, CODE) == "ValueError"


def test_javascript_and_cpp() -> None:
    js = "/work/solution.js:1\nthrow new TypeError(x)\n\nTypeError: 123456\n    at solution.js:1:7"
    assert hidden_error("javascript", "runtime_error", js, "x\n") == "TypeError on line 1"
    cpp = "123456\nterminate called after throwing an instance of 'std::out_of_range'\n"
    cpp += "  what():  123456\nkilled by signal SIGABRT"
    assert hidden_error("cpp", "runtime_error", cpp, "") == (
        "uncaught std::out_of_range, killed by SIGABRT"
    )
    forged = "terminate called after throwing an instance of 'Leak123456'\nkilled by signal SIGUSR1"
    assert hidden_error("cpp", "runtime_error", forged, "") == "killed by a signal"


def test_only_runtime_errors_say_anything() -> None:
    for verdict in ("wrong_answer", "time_limit_exceeded", "memory_limit_exceeded"):
        assert hidden_error("python", verdict, "MemoryError 123456", CODE) == ""


def test_quantised() -> None:
    assert quantised(0, 1000, 10) == 0
    assert quantised(1, 1000, 10) == 100
    assert quantised(100, 1000, 10) == 100
    assert quantised(101, 1000, 10) == 200
