"""A box the kernel's OOM killer ends mid-test ends that test as Memory Limit Exceeded, never as
a fault of the judge (internal_error).

A test's process starts as the box's first OOM victim (score 1000; the host sets the
supervisor's to -999 where it may, which it may not without CAP_SYS_RESOURCE). Yet when the
box's memory is held by what no process's resident size shows (memfds, files, a dying
process's descriptors), the OOM killer may choose the supervisor or bwrap instead, and the box
ends in the middle of a test: seen once in CI with the memfd attack. The test below makes that
choice certain from outside the box (as root on the host): once the program runs it gives the
supervisor and bwrap the program's score, 1000, and the program holds its memory in memfds
with a small resident size, so the supervisor, the largest process, is the victim. The host
sees the box's cgroup count an OOM kill as the box ends: that test is Memory Limit Exceeded,
and the tests after it run in a fresh box.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import require
from sandbox import cgroups, judge
from sandbox.tests.support import request, verdicts

pytestmark = pytest.mark.usefixtures("sandbox")

# Test n == 1 waits for the box to be rearranged, then writes 160 MB into memfds from a 1 MB
# buffer; any other n returns at once.
PROGRAM = (
    "#include <sys/mman.h>\n#include <unistd.h>\n"
    "int solve(int n) {\n  if (n == 1) {\n    usleep(1500 * 1000);\n"
    "    static char block[1 << 20];\n    memset(block, 'x', sizeof block);\n"
    '    for (int i = 0; i < 20; i++) {\n      int fd = memfd_create("m", 0);\n'
    "      for (int j = 0; j < 8; j++) if (write(fd, block, sizeof block) < 0) return -1;\n"
    "    }\n  }\n  return 2 * n;\n}\n"
)


def _box_processes(memory_base: Path) -> list[int]:
    """The processes of this test process's boxes' cgroups (bwrap, supervisor, program)."""
    pids = []
    for group in memory_base.glob(f"{os.getpid()}-*"):
        procs = group / "cgroup.procs"
        if procs.exists():
            pids += [int(pid) for pid in procs.read_text().split()]
    return pids


def _make_the_supervisor_the_victim(memory_base: Path, done: threading.Event) -> None:
    """While a program (/work/solution) runs, every other process of the boxes scores 1000."""
    while not done.is_set():
        names = {}
        for pid in _box_processes(memory_base):
            with contextlib.suppress(OSError):
                names[pid] = Path(f"/proc/{pid}/comm").read_text().strip()
        if "solution" in names.values():
            for pid, name in names.items():
                if name != "solution":
                    with contextlib.suppress(OSError):
                        Path(f"/proc/{pid}/oom_score_adj").write_text("1000")
        time.sleep(0.01)


def _judged_while_rearranged(tests: list[dict[str, Any]]) -> dict[str, Any]:
    hierarchy = cgroups.detect()
    require(hierarchy is not None and os.geteuid() == 0, "a cgroup for the box, as root")
    assert hierarchy is not None
    done = threading.Event()
    helper = threading.Thread(
        target=_make_the_supervisor_the_victim, args=(hierarchy.bases["memory"], done)
    )
    helper.start()
    try:
        return judge(**request("cpp", PROGRAM, tests, time_limit_ms=4000, memory_limit_mb=64))
    finally:
        done.set()
        helper.join()


def test_a_box_the_oom_killer_ends_is_memory_limit_exceeded() -> None:
    result = _judged_while_rearranged(
        [{"args": [1], "expected": 2}, {"args": [2], "expected": 4}, {"args": [3], "expected": 6}]
    )
    # The tests after it ran in a fresh box, and passed.
    assert verdicts(result) == ["memory_limit_exceeded", "accepted", "accepted"], result
    assert result["verdict"] == "memory_limit_exceeded"
    assert result["failed_test"] == 0


def test_after_a_hidden_test_the_oom_killer_ended_judging_stops() -> None:
    result = _judged_while_rearranged(
        [{"args": [1], "expected": 2, "hidden": True}, {"args": [2], "expected": 4}]
    )
    assert verdicts(result) == ["memory_limit_exceeded", "skipped"], result
    assert result["tests"][0]["error"] == ""
