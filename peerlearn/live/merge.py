"""A line-based three-way merge for the shared notes.

Two people edit the notes from the same base; the server holds "theirs" (the current version),
the client sends "mine". Changes to different lines merge; overlapping changes conflict and the
client is shown both versions — nothing typed is ever dropped silently.
"""

from __future__ import annotations

from difflib import SequenceMatcher

Hunk = tuple[int, int, list[str]]  # replace base[i1:i2] with lines


def _hunks(base: list[str], other: list[str]) -> list[Hunk]:
    matcher = SequenceMatcher(a=base, b=other, autojunk=False)
    return [
        (i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _overlap(a: Hunk, b: Hunk) -> bool:
    (a1, a2, _), (b1, b2, _) = a, b
    if a1 == a2 and b1 == b2:  # two insertions at the same point
        return a1 == b1
    return (a1 < b2 and b1 < a2) or (a1 == a2 and b1 <= a1 < b2) or (b1 == b2 and a1 <= b1 < a2)


def merge3(base: str, mine: str, theirs: str) -> str | None:
    """The merged text, or None when the two edits touch the same lines differently."""
    if mine == theirs or theirs == base:
        return mine
    if mine == base:
        return theirs
    b = base.splitlines(keepends=True)
    mine_hunks, their_hunks = (
        _hunks(b, mine.splitlines(keepends=True)),
        _hunks(b, theirs.splitlines(keepends=True)),
    )
    for m in mine_hunks:
        for t in their_hunks:
            if _overlap(m, t) and m != t:
                return None
    hunks = sorted(
        {(i1, i2, tuple(lines)) for i1, i2, lines in [*mine_hunks, *their_hunks]},
        key=lambda h: (h[0], h[1]),
    )
    out: list[str] = []
    cursor = 0
    for i1, i2, lines in hunks:
        out.extend(b[cursor:i1])
        out.extend(lines)
        cursor = max(cursor, i2)
    out.extend(b[cursor:])
    return "".join(out)
