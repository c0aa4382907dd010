"""Recycled boxes (sandbox/box.py, Spares): a C++ or JavaScript box judges the next submission
of its language only after everything the last one left is gone, and a Python submission always
gets a box that has judged nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import box as box_module
from sandbox import judge
from sandbox.box import SPARES, Box
from sandbox.tests.support import NO_ARGS, TRIVIAL, request, verdicts

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
        assert seen["procs"] == 2, seen  # the supervisor and the test itself, nothing else
        assert seen["tmp"] == 0 and "mark" not in seen["work"].split(), seen
        assert seen["shm"] in (-1, 0), seen  # C++: no segment 4242; JavaScript: no segment


def test_python_submissions_never_share_a_box(boxes_taken: list[int]) -> None:
    for _ in range(2):
        assert judge(**TRIVIAL)["verdict"] == "accepted"
    assert len(set(boxes_taken)) == 2


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
