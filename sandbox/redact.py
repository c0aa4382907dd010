"""What a hidden test may say about itself (docs/judge.md, "Nothing of a hidden test leaves").

A hidden test's result keeps its verdict, a quantised time and memory, and for a runtime error
only what cannot carry the test's input: an exception type from a fixed list of the language's
own exceptions (never a class the program defined, whose name it chose) and, for Python and
JavaScript, the line of the user's code it was raised on. The program's own output and stderr
never leave.
"""

from __future__ import annotations

import builtins
import math
import re

PYTHON_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)
JS_EXCEPTIONS = frozenset(
    (
        "Error",
        "TypeError",
        "RangeError",
        "ReferenceError",
        "SyntaxError",
        "EvalError",
        "URIError",
        "AggregateError",
    )
)
CPP_EXCEPTIONS = frozenset(
    "std::" + name
    for name in (
        "exception",
        "logic_error",
        "invalid_argument",
        "domain_error",
        "length_error",
        "out_of_range",
        "runtime_error",
        "range_error",
        "overflow_error",
        "underflow_error",
        "bad_alloc",
        "bad_array_new_length",
        "bad_cast",
        "bad_function_call",
        "bad_optional_access",
        "bad_variant_access",
        "system_error",
    )
)
SIGNALS = frozenset(("SIGSEGV", "SIGABRT", "SIGFPE", "SIGBUS", "SIGILL", "SIGKILL"))
# Fixed messages of the harnesses and the host; a program that prints one forges one bit.
HARNESS_MESSAGES = (
    "the function did not return",
    "the function called exit() instead of returning",
    "the return value could not be read as JSON",
    "the return value is nested too deeply",
)
PYTHON_LINE = re.compile(r'File "solution\.py", line (\d+)')
PYTHON_TYPE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::|$)")
JS_LINE = re.compile(r"solution\.js:(\d+)")
JS_TYPE = re.compile(r"^(?:Uncaught )?([A-Za-z]+)(?::|$)")
CPP_TYPE = re.compile(r"throwing an instance of '([A-Za-z_:]+)")
SIGNAL = re.compile(r"killed by signal (SIG[A-Z]+)")
TIME_STEPS = 10  # a hidden test's time: one of 10 steps up to the limit
MEMORY_STEPS = 16


def _line(pattern: re.Pattern[str], text: str, code: str, last: bool) -> int | None:
    found = [int(match) for match in pattern.findall(text)]
    if not found:
        return None
    line = found[-1] if last else found[0]
    return line if 1 <= line <= code.count("\n") + 1 else None


def _python(error: str, code: str) -> str:
    lines = [line for line in error.splitlines() if line.strip()]
    kind = ""
    if lines and (match := PYTHON_TYPE.match(lines[-1])) and match[1] in PYTHON_EXCEPTIONS:
        kind = match[1]
    line = _line(PYTHON_LINE, error, code, last=True) if kind else None
    return f"{kind} on line {line}" if kind and line else kind


def _javascript(error: str, code: str) -> str:
    kind = ""
    for text in error.splitlines():
        match = JS_TYPE.match(text.strip())
        if match and match[1] in JS_EXCEPTIONS:
            kind = match[1]
            break
    line = _line(JS_LINE, error, code, last=False) if kind else None
    return f"{kind} on line {line}" if kind and line else kind


def _cpp(error: str) -> str:
    parts = []
    match = CPP_TYPE.search(error)
    if match and match[1] in CPP_EXCEPTIONS:
        parts.append(f"uncaught {match[1]}")
    signal = SIGNAL.search(error)
    if signal:
        parts.append(f"killed by {signal[1] if signal[1] in SIGNALS else 'a signal'}")
    return ", ".join(parts)


def hidden_error(language: str, verdict: str, error: str, code: str) -> str:
    """The error text of a hidden test: nothing the program chose but from fixed lists."""
    if verdict != "runtime_error":
        return ""
    harness = [message for message in HARNESS_MESSAGES if message in error]
    if harness:
        return harness[0]
    if language == "python":
        shown = _python(error, code)
    elif language == "javascript":
        shown = _javascript(error, code)
    else:
        shown = _cpp(error)
    return shown or "the program failed (a hidden test's output is not shown)"


def quantised(value: int, limit: int, steps: int) -> int:
    """`value` rounded up to the next of `steps` equal steps up to `limit` (at least 1)."""
    step = max(1, math.ceil(limit / steps))
    return math.ceil(value / step) * step
