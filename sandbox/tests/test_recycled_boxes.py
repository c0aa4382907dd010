"""Recycled boxes (sandbox/box.py, Spares): a box judges the next submission of its language only
after everything the last one left is gone — processes, files, SysV objects, and for Python
anything in memory (its tests are forked by the zygote, which never holds a submission)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import box as box_module
from sandbox import judge
from sandbox.box import SPARES, Box
from sandbox.tests.support import NO_ARGS, SOLVE, request, verdicts

pytestmark = pytest.mark.usefixtures("sandbox")

# Reports what the box holds, then leaves behind all it can: a file with a secret in /work, a
# locked directory in /tmp, SysV objects, and a process that left its session and sleeps on.
LEFTOVERS = {
    "cpp": (
        "#include <dirent.h>\n#include <fstream>\n#include <sys/msg.h>\n#include <sys/sem.h>\n"
        "#include <sys/shm.h>\n#include <sys/stat.h>\n#include <unistd.h>\n"
        "string attack() {\n"
        '  int procs = 0; DIR* d = opendir("/proc");'
        " while (dirent* e = readdir(d)) procs += isdigit(e->d_name[0]) ? 1 : 0;\n"
        '  int tmp = 0; DIR* t = opendir("/tmp");'
        " while (dirent* e = readdir(t)) tmp += e->d_name[0] != '.';\n"
        '  string work; DIR* w = opendir("/work");'
        " while (dirent* e = readdir(w))"
        " if (e->d_name[0] != '.') work += string(e->d_name) + \" \";\n"
        "  int shm = shmget(4242, 4096, 0);\n"
        "  shmget(4242, 4096, IPC_CREAT | 0600); msgget(4243, IPC_CREAT | 0600);"
        " semget(4244, 1, IPC_CREAT | 0600);\n"
        '  ofstream("/work/mark") << "SECRET-A"; mkdir("/tmp/locked", 0);\n'
        "  if (fork() == 0) { setsid(); if (fork() == 0) sleep(30); _exit(0); }\n"
        '  return "{\\"procs\\": " + to_string(procs) + ", \\"tmp\\": " + to_string(tmp)'
        ' + ", \\"work\\": \\"" + work + "\\", \\"shm\\": " + to_string(shm) + "}"; }\n'
    ),
    "javascript": (
        "function attack() { const fs = require('fs'); const cp = require('child_process');"
        " const state = { procs: fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).length,"
        " tmp: fs.readdirSync('/tmp').length, work: fs.readdirSync('/work').join(' '),"
        " shm: fs.readFileSync('/proc/sysvipc/shm', 'utf8').split('\\n').length - 2 };"
        " fs.writeFileSync('/work/mark', 'SECRET-A'); fs.mkdirSync('/tmp/locked');"
        " fs.chmodSync('/tmp/locked', 0);"
        " cp.spawn('/bin/sleep', ['30'], { detached: true, stdio: 'ignore' }).unref();"
        " return JSON.stringify(state); }"
    ),
}


@pytest.fixture
def boxes_taken(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The serial number of each box a submission was judged in, in order (starting with no
    recycled box from an earlier test)."""
    with SPARES.condition:
        kept = [box for boxes in SPARES.recycled.values() for box in boxes]
        SPARES.recycled.clear()
    for box in kept:
        box.close()
    taken: list[int] = []
    take = SPARES.take

    def recording(python: str, reuse: tuple[Any, ...] | None = None) -> Box:
        box = take(python, reuse)
        taken.append(box.serial)
        return box

    monkeypatch.setattr(SPARES, "take", recording)
    yield taken


def _leftovers(language: str) -> dict[str, Any]:
    result = judge(**request(language, LEFTOVERS[language], [{"args": []}], signature=NO_ARGS))
    assert verdicts(result) == ["ran"], result
    return dict(json.loads(json.loads(result["tests"][0]["output"])))


@pytest.mark.parametrize("language", sorted(LEFTOVERS))
def test_a_recycled_box_holds_nothing_of_the_last_submission(
    language: str, boxes_taken: list[int]
) -> None:
    first, second = _leftovers(language), _leftovers(language)
    assert boxes_taken[0] == boxes_taken[1]  # the second submission ran in the same box
    for seen in (first, second):
        assert seen["procs"] == 3, seen  # the supervisor, the zygote and the test, nothing else
        assert seen["tmp"] == 0 and "mark" not in seen["work"].split(), seen
        assert seen["shm"] in (-1, 0), seen  # C++: no segment 4242; JavaScript: no segment


# Counts, in every readable mapping of the test's own memory, the bytes that XOR 0x5A to `xored`
# (the needle itself is kept XORed, so the scan never finds its own copy).
SCAN = """
import json, os
def occurrences(xored):
    table = bytes(b ^ 0x5A for b in range(256))
    regions = []
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps.read().splitlines():
            fields = line.split()
            if "r" not in fields[1] or fields[-1] in ("[vvar]", "[vsyscall]"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                regions.append(mem.read(end - start))
            except (OSError, ValueError, OverflowError):
                pass
    return sum(region.translate(table).count(xored) for region in regions)
"""
SECRET_CODE = "ZQXJ7341PQ"  # a constant of the first submission's code
SECRET_INPUT = 739182465  # the first submission's hidden test input


def _xored(text: str) -> bytes:
    return bytes(byte ^ 0x5A for byte in text.encode())


def _memory_scan(keep_secret: bool) -> list[int]:
    needles = [_xored(SECRET_CODE), _xored(str(SECRET_INPUT))]
    code = SCAN + (f"KEEP = {SECRET_CODE!r}\n" if keep_secret else "")
    code += "SEEN = []\ndef solve(n):\n    SEEN.append(str(n))\n"  # its input, as text
    code += f"    return json.dumps([occurrences(x) for x in {needles!r}])\n"
    tests = [{"args": [SECRET_INPUT if keep_secret else 1], "expected": 0}]
    signature = {**SOLVE, "returns": "string"}
    result = judge(**request("python", code, tests, signature=signature, memory_limit_mb=256))
    assert verdicts(result) == ["wrong_answer"], result  # it returned the counts
    return list(json.loads(json.loads(result["tests"][0]["output"])))


def test_a_recycled_python_box_holds_nothing_of_the_last_submission_in_memory(
    boxes_taken: list[int],
) -> None:
    """The second submission reads all of its own memory for the first one's code constant and
    test input; the same scan finds both in the first submission's own test, which holds them."""
    first = _memory_scan(keep_secret=True)
    second = _memory_scan(keep_secret=False)
    assert boxes_taken[0] == boxes_taken[1]
    assert first[0] > 0 and first[1] > 0, first
    assert second == [0, 0], second


def test_a_test_that_stops_or_kills_the_zygote_gets_a_verdict_and_a_new_zygote() -> None:
    code = (
        "import os, signal\ndef solve(n):\n"
        "    if n == 1:\n        os.kill(os.getppid(), signal.SIGSTOP)\n"
        "    if n == 2:\n        os.kill(os.getppid(), signal.SIGKILL)\n"
        "    return 2 * n\n"
    )
    tests = [{"args": [n], "expected": 2 * n} for n in (1, 2, 3)]
    result = judge(**request("python", code, tests))
    # Each ends as it would have (PID 1 reaps a test the zygote left), the next in a new zygote.
    assert verdicts(result) == ["accepted"] * 3, result


def test_a_box_is_recycled_only_for_its_own_language(boxes_taken: list[int]) -> None:
    for language in ("cpp", "javascript"):
        _leftovers(language)
    assert len(set(boxes_taken)) == 2


def test_a_box_judges_at_most_max_uses_submissions(
    boxes_taken: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(box_module, "MAX_USES", 2)
    for _ in range(3):
        _leftovers("javascript")
    assert boxes_taken[0] == boxes_taken[1] != boxes_taken[2]


def test_a_box_whose_submission_ran_out_of_time_is_not_recycled(
    boxes_taken: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host's deadline passed (the supervisor never answered): the box is closed."""
    spin = "function attack() { for (;;) {} }"
    tests: list[dict[str, Any]] = [{"args": []}] * 2
    with monkeypatch.context() as patched:
        patched.setattr("sandbox.judging.submission_budget_s", lambda *_: 1.0)
        result = judge(**request("javascript", spin, tests, signature=NO_ARGS, time_limit_ms=5000))
    assert verdicts(result)[0] == "time_limit_exceeded", result
    _leftovers("javascript")
    assert len(boxes_taken) == 2 and boxes_taken[0] != boxes_taken[1]
