"""The comparison rules of docs/problems.md, without a sandbox."""

from __future__ import annotations

import pytest

from sandbox.compare import _equal, text_equal, values_equal


@pytest.mark.parametrize(
    ("actual", "expected", "same"),
    [
        ([0, 1], [0, 1], True),
        ([1, 0], [0, 1], False),
        (2, 2.0, True),
        (True, 1, False),
        ("a", "a", True),
        ([[1, 2], [3]], [[1, 2], [3]], True),
        (None, [], False),
    ],
)
def test_exact_values(actual: object, expected: object, same: bool) -> None:
    assert values_equal(actual, expected, "exact", 1e-6) is same


def test_unordered_compares_the_outer_list_as_a_multiset() -> None:
    assert values_equal([[3, 4], [1, 2]], [[1, 2], [3, 4]], "unordered", 0)
    assert values_equal([2, 1.0, 1], [1, 1, 2], "unordered", 0)
    assert not values_equal([[4, 3], [1, 2]], [[1, 2], [3, 4]], "unordered", 0)  # inner order
    assert not values_equal([1, 1, 2], [1, 2, 2], "unordered", 0)


def test_float_tolerance_is_absolute_or_relative_through_lists() -> None:
    assert values_equal([0.1 + 0.2, [1e9 + 1]], [0.3, [1e9]], "float", 1e-6)
    assert not values_equal([0.31], [0.3], "float", 1e-6)
    assert not values_equal(float("nan"), 0.0, "float", 1e-6)
    assert values_equal(["x", 1.0000001], ["x", 1], "float", 1e-6)


def test_stdio_exact_ignores_trailing_whitespace_and_blank_lines_only() -> None:
    assert text_equal("6  \r\n7\n\n\n", "6\n7", "exact", 0)
    assert not text_equal(" 6\n7\n", "6\n7\n", "exact", 0)
    assert not text_equal("\n6\n7\n", "6\n7\n", "exact", 0)


def test_stdio_unordered_compares_lines_as_a_multiset() -> None:
    assert text_equal("b\na\n", "a\nb\n", "unordered", 0)
    assert not text_equal("a\na\n", "a\nb\n", "unordered", 0)


def test_stdio_float_compares_token_by_token() -> None:
    assert text_equal("0.3333333 x\n2\n", "0.333333333 x 2.0", "float", 1e-6)
    assert not text_equal("0.34 x", "0.33 x", "float", 1e-6)
    assert not text_equal("1 2", "1 2 3", "float", 1e-6)


@pytest.mark.parametrize(
    ("actual", "expected", "same"),
    [
        ([1, 2, [3, True]], [1, 2, [3, 1]], False),
        ([1, 2, [3, 1]], [1, 2, [3, True]], False),
        ({"a": [False]}, {"a": [0]}, False),
        ({"a": [False, [None, "x"]]}, {"a": [False, [None, "x"]]}, True),
        ([[1, 2.0], {"k": [3]}], [[1.0, 2], {"k": [3.0]}], True),
        (list(range(10_000)), list(range(10_000)), True),
        ([*range(9_999), True], [*range(9_999), 1], False),
        ([float("nan")], [float("nan")], False),
    ],
)
def test_exact_values_agree_with_the_element_walk(
    actual: object, expected: object, same: bool
) -> None:
    """The one-pass equality decides as the element-by-element rules do: a bool never equals
    a number, at any depth, on either side; 2 equals 2.0; NaN equals nothing."""
    assert values_equal(actual, expected, "exact", 0) is same
    assert _equal(actual, expected, None) is same
