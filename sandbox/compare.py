"""Comparing a test's output with its expected answer (docs/problems.md, "Comparison").

Runs on the host, so the expected answers never enter the box.
"""

from __future__ import annotations

import json
import math
from collections import Counter

COMPARE_MODES = ("exact", "unordered", "float")


def values_equal(actual: object, expected: object, compare: str, tolerance: float) -> bool:
    """Function-style: the returned JSON value against `expected`."""
    if compare == "unordered":
        if not (isinstance(actual, list) and isinstance(expected, list)):
            return _equal(actual, expected, None)
        return Counter(map(_canonical, actual)) == Counter(map(_canonical, expected))
    if compare == "exact":
        # `_equal` implies Python's ==, and == implies `_equal` unless a bool meets a number
        # (True == 1): one pass in C decides the usual case, the walk runs only for bools.
        if actual != expected:
            return False
        if not (_contains_bool(actual) or _contains_bool(expected)):
            return True
    return _equal(actual, expected, tolerance if compare == "float" else None)


def text_equal(actual: str, expected: str, compare: str, tolerance: float) -> bool:
    """Standard output against `expected`, after dropping trailing whitespace."""
    actual_lines, expected_lines = _lines(actual), _lines(expected)
    if compare == "unordered":
        return Counter(actual_lines) == Counter(expected_lines)
    if compare == "float":
        actual_tokens, expected_tokens = actual.split(), expected.split()
        return len(actual_tokens) == len(expected_tokens) and all(
            _token_equal(a, e, tolerance)
            for a, e in zip(actual_tokens, expected_tokens, strict=True)
        )
    return actual_lines == expected_lines


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _contains_bool(value: object) -> bool:
    """Whether a bool occurs anywhere in a JSON value (types counted per list, in C)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(map(_contains_bool, value.values()))
    if not isinstance(value, list):
        return False
    kinds = set(map(type, value))
    if bool in kinds:
        return True
    if list in kinds or dict in kinds:
        return any(_contains_bool(item) for item in value if isinstance(item, (list, dict)))
    return False


def _close(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= tolerance or abs(a - b) <= tolerance * max(abs(a), abs(b))


def _equal(actual: object, expected: object, tolerance: float | None) -> bool:
    if _is_number(actual) and _is_number(expected):
        assert isinstance(actual, (int, float)) and isinstance(expected, (int, float))
        if tolerance is None:
            return actual == expected
        return _close(actual, expected, tolerance)
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(
            _equal(a, e, tolerance) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            _equal(actual[key], expected[key], tolerance) for key in actual
        )
    return type(actual) is type(expected) and actual == expected


def _canonical(value: object) -> str:
    """One spelling per value, so 2 and 2.0 count as the same element of a multiset."""

    def normalise(item: object) -> object:
        if isinstance(item, float) and item.is_integer():
            return int(item)
        if isinstance(item, list):
            return [normalise(element) for element in item]
        if isinstance(item, dict):
            return {key: normalise(element) for key, element in item.items()}
        return item

    return json.dumps(normalise(value), sort_keys=True)


def _token_equal(actual: str, expected: str, tolerance: float) -> bool:
    try:
        return _close(float(actual), float(expected), tolerance)
    except ValueError:
        return actual == expected
