"""JSON from the box, parsed within bounds: a deeply nested value must not exhaust the host's
recursion limit, a huge one is refused before parsing (docs/judge.md, "Supervisor")."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: linear and fast
MAX_DEPTH = 64


def depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a scalar)."""
    if text.count("[") + text.count("{") <= 1:
        return text.count("[") + text.count("{")  # a flat list or object: no need to scan
    brackets = re.sub(r"[^\[\]{}]+", "", STRINGS.sub("", text))
    if not brackets:
        return 0
    return max(accumulate(1 if char in "[{" else -1 for char in brackets))


def bounded_json(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads, but ValueError for anything nested deeper than `max_depth`."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    if depth(text) > max_depth:
        raise ValueError(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except RecursionError as error:  # a defence in depth: depth() should have caught it
        raise ValueError("nested too deeply") from error


def loads_flat(data: bytes) -> Any:
    """json.loads of a line our own supervisor wrote (flat, bounded in size by the caller):
    ValueError instead of RecursionError should it ever be deep."""
    try:
        return json.loads(data)
    except RecursionError as error:
        raise ValueError("nested too deeply") from error
