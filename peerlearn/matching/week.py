"""A tutor's weekly availability as one integer, for searching 100,000 tutors by "Tuesday
evenings" with a column test instead of a subquery per tutor.

Bit ``part * 7 + weekday`` is set when a weekly window overlaps that part of that weekday
(parts: morning, afternoon, evening, in ``PARTS``'s order); bit ``21 + weekday`` when there is
any window that weekday. Windows are in the tutor's own wall-clock time, as stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

PARTS_OF_DAY = {
    "morning": (time(6), time(12)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(23, 59)),
}
PARTS = list(PARTS_OF_DAY)
ANY_PART = len(PARTS)  # the "any time that day" row of bits


def bit(weekday: int, part: str = "") -> int:
    row = PARTS.index(part) if part else ANY_PART
    return 1 << (row * 7 + weekday)


def week_mask(windows: Iterable[tuple[int, time, time]]) -> int:
    """The bits of a weekly pattern given as (weekday, start, end) windows."""
    mask = 0
    for weekday, start, end in windows:
        mask |= bit(weekday)
        for part, (part_start, part_end) in PARTS_OF_DAY.items():
            if start < part_end and end > part_start:
                mask |= bit(weekday, part)
    return mask


def wanted(weekdays: Iterable[int], part: str = "") -> int:
    """The bits any of which a tutor's mask must have to be free on one of these weekdays (in
    that part of the day)."""
    out = 0
    for weekday in weekdays:
        out |= bit(weekday, part)
    return out
