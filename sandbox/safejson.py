"""JSON from the box, parsed within bounds: a deeply nested value must not exhaust the host's
recursion limit, a huge one is refused before parsing (docs/judge.md, "Supervisor")."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
MAX_DEPTH = 64


def depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a scalar)."""
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
