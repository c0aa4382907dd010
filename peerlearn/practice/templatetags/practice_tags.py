from __future__ import annotations

import json
from typing import Any

from django import template

from peerlearn.practice.models import Submission

register = template.Library()


@register.filter
def json_text(value: Any) -> str:
    """Compact JSON, for showing a test's arguments or expected value (auto-escaped)."""
    return json.dumps(value, separators=(", ", ": "))


@register.filter
def args_text(args: list[Any]) -> str:
    """A function call's arguments as the user would write them: ``[1, 2], 3``."""
    return json_text(args)[1:-1]


@register.filter
def verdict_label(verdict: str) -> str:
    try:
        return str(Submission.Verdict(verdict).label)
    except ValueError:
        return verdict


@register.filter
def filesizeformat_kb(kilobytes: int | None) -> str:
    if kilobytes is None:
        return ""
    return f"{kilobytes / 1024:.1f} MB" if kilobytes >= 1024 else f"{kilobytes} KB"


@register.filter
def first_failed(results: list[dict[str, Any]]) -> int | None:
    """1-based number of the first test that failed (the judge stops there on hidden tests)."""
    for number, result in enumerate(results, start=1):
        if result.get("verdict") not in ("accepted", "ran", "skipped"):
            return number
    return None
