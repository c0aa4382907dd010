"""The attack catalogue, part 2 (issue 17): one case per defect in each language.

1. memory is bounded for the whole box (processes, SysV shm, memfds, Buffers), with the cgroup
   and with the fallback meter;
2. nothing of a hidden test leaves (stderr, exception names, exact time);
3. the supervisor survives permission games, deep trees, nested results, compile recursion;
4. a slow or huge compile is a compile error;
5. judging stops at the first failed hidden test (samples all run);
6. CPU of unreaped children counts;
7. no state survives from one test to the next (files, SysV IPC, keyring);
8. the supervisor cannot be reniced.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from sandbox import cgroups, judge
from sandbox.tests.support import NO_ARGS, request, verdicts

pytestmark = pytest.mark.usefixtures("sandbox")

LEAK = "739182465"  # the hidden input a program tries to get out
HIDDEN_INPUT = [{"args": [int(LEAK)], "expected": 0, "hidden": True}]
MODES = ["auto", "off"]  # the host's cgroup (v2 or v1), and the fallback meter


def _attack(language: str, code: str, tests: int = 1, **options: Any) -> dict[str, Any]:
    return judge(
        **request(
            language,
            code,
            options.pop("test_list", [{"args": []}] * tests),
            signature=options.pop("signature", NO_ARGS),
            time_limit_ms=options.pop("time_limit_ms", 1000),
            memory_limit_mb=options.pop("memory_limit_mb", 128),
            **options,
        )
    )


def _outputs(result: dict[str, Any]) -> list[Any]:
    return [json.loads(json.loads(test["output"])) for test in result["tests"]]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(cgroups.MODE_ENV, request.param)
    return str(request.param)


# --- 1. memory of the whole box ----------------------------------------------------------------

MEMORY_ATTACKS = {
    "python processes": (
        "python",
        "import os, time\ndef attack():\n    for _ in range(8):\n        if os.fork() == 0:\n"
        "            hoard = bytearray(b'x' * (40 << 20))\n            time.sleep(30)\n"
        "    time.sleep(30)\n",
    ),
    "python memfds": (
        "python",
        "import os, time\ndef attack():\n    fds = []\n    for i in range(20):\n"
        "        fd = os.memfd_create(f'm{i}')\n        os.write(fd, b'x' * (15 << 20))\n"
        "        fds.append(fd)\n    time.sleep(30)\n",
    ),
    "python sysv shm": (
        "python",
        "import ctypes, time\ndef attack():\n    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    libc.shmat.restype = ctypes.c_void_p\n    for key in range(1, 8):\n"
        "        ident = libc.shmget(key, 40 << 20, 0o1600)\n"
        "        address = libc.shmat(ident, None, 0)\n"
        "        ctypes.memset(address, 1, 40 << 20)\n"
        "        libc.shmdt(ctypes.c_void_p(address))\n"
        "    time.sleep(30)\n",
    ),
    "python files in /tmp": (
        "python",
        "import time\ndef attack():\n    for i in range(4):\n"
        "        with open(f'/tmp/f{i}', 'wb') as out:\n"
        "            out.write(b'x' * (15 << 20))\n    time.sleep(30)\n",
    ),
    "cpp processes": (
        "cpp",
        "#include <unistd.h>\n#include <cstring>\nstring attack() {\n"
        "  for (int i = 0; i < 8; i++) if (fork() == 0) {"
        " char* p = (char*)malloc(40 << 20); memset(p, 1, 40 << 20); sleep(30); }\n"
        '  sleep(30); return ""; }\n',
    ),
    "javascript buffers": (
        "javascript",
        "function attack() { const hoard = [];"
        " for (let i = 0; i < 60; i++) hoard.push(Buffer.alloc(10 << 20, 1));"
        " return String(hoard.length); }",
    ),
}


@pytest.mark.parametrize("name", sorted(MEMORY_ATTACKS))
def test_memory_is_limited_for_the_whole_box(name: str, mode: str) -> None:
    language, code = MEMORY_ATTACKS[name]
    # Two tests: what the first left (detached segments, files) must not break the second.
    result = _attack(language, code, tests=2, time_limit_ms=3000, memory_limit_mb=48)
    assert verdicts(result) == ["memory_limit_exceeded"] * 2, result


def test_memory_within_the_limit_is_reported(mode: str) -> None:
    code = "def attack():\n    hoard = bytearray(b'x' * (40 << 20))\n    return str(len(hoard))\n"
    result = _attack("python", code)
    assert verdicts(result) == ["ran"], result
    assert 40 * 1024 <= result["tests"][0]["memory_kb"] < 128 * 1024


def test_cgroup_detection_is_reported() -> None:
    text = cgroups.describe()
    assert text.startswith("judge box limits: ")
    assert "cgroup v" in text or "fallback" in text


def test_production_refuses_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cgroups.MODE_ENV, "off")
    monkeypatch.setenv(cgroups.REQUIRE_ENV, "1")
    with pytest.raises(cgroups.SandboxUnavailable, match="no cgroup"):
        judge(**request("python", "def solve(n):\n    return n\n", [{"args": [1]}]))


# --- 2. nothing of a hidden test leaves --------------------------------------------------------

LEAKS = {
    "python": (
        "import sys\ndef solve(n):\n    print(n, file=sys.stderr)\n    print(n)\n"
        "    raise type(f'Leak{n}', (Exception,), {})(str(n))\n"
    ),
    "python builtin": (
        "import sys\ndef solve(n):\n    sys.stderr.write(f'{n}\\n')\n    raise ValueError(n)\n"
    ),
    "cpp": (
        '#include <cstdio>\nint solve(int n) { fprintf(stderr, "%d\\n", n); printf("%d", n);'
        " throw runtime_error(to_string(n)); }"
    ),
    "javascript": (
        "function solve(n) { console.error(String(n)); console.log(String(n));"
        " class Leak extends Error {}; Leak.prototype.name = 'Leak' + n; throw new Leak(n); }"
    ),
}


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_hidden_input_does_not_leave(name: str) -> None:
    language = name.split()[0]
    tests = [{"args": [int(LEAK[:4])], "expected": 0}, *HIDDEN_INPUT]
    result = judge(**request(language, LEAKS[name], tests, time_limit_ms=1000))
    sample, hidden = result["tests"]
    assert sample["verdict"] == hidden["verdict"] == "runtime_error", result
    assert LEAK[:4] in sample["error"]  # a sample shows its full stderr
    assert LEAK not in json.dumps(result)
    assert hidden["output"] == hidden["stdout"] == ""
    assert hidden["time_ms"] % 100 == 0  # quantised: a tenth of the 1000 ms limit
    expected = {
        "python": "the program failed",
        "python builtin": "ValueError on line 4",
        "cpp": "uncaught std::runtime_error",
        "javascript": "the program failed",
    }[name]
    assert hidden["error"].startswith(expected), hidden


# --- 3. the supervisor survives the program ----------------------------------------------------

PERMISSION_GAMES = {
    "python": (
        "import os, json\ndef attack():\n    seen = sorted(os.listdir('/tmp'))\n"
        "    os.makedirs('/tmp/a/b/c')\n    open('/tmp/a/b/c/f', 'w').close()\n"
        "    path = '/tmp/deep'\n    os.mkdir(path)\n    for _ in range(300):\n"
        "        os.mkdir(os.path.join(path, 'x' * 200))\n        os.chdir(path)\n"
        "        path = 'x' * 200\n"
        "    os.chmod('/tmp/a/b', 0)\n    os.chmod('/tmp/a', 0)\n    os.chmod('/tmp', 0)\n"
        "    os.chmod('/work', 0o555)\n    return json.dumps(seen)\n"
    ),
    "cpp": (
        "#include <sys/stat.h>\n#include <dirent.h>\nstring attack() {\n"
        '  string seen = "["; DIR* d = opendir("/tmp"); bool first = true;\n'
        '  while (dirent* e = readdir(d)) { string n = e->d_name; if (n == "." || n == "..")'
        ' continue; seen += (first ? "\\"" : ",\\"") + n + "\\""; first = false; }\n'
        '  seen += "]"; mkdir("/tmp/a", 0777); mkdir("/tmp/a/b", 0777);'
        ' fclose(fopen("/tmp/a/b/f", "w")); chmod("/tmp/a/b", 0); chmod("/tmp/a", 0);'
        ' chmod("/tmp", 0); chmod("/work", 0555); return seen; }'
    ),
    "javascript": (
        "function attack() { const fs = require('fs'); const seen = fs.readdirSync('/tmp').sort();"
        " fs.mkdirSync('/tmp/a/b', { recursive: true }); fs.writeFileSync('/tmp/a/b/f', 'x');"
        " fs.chmodSync('/tmp/a/b', 0); fs.chmodSync('/tmp/a', 0); fs.chmodSync('/tmp', 0);"
        " fs.chmodSync('/work', 0o555); return JSON.stringify(seen); }"
    ),
}


@pytest.mark.parametrize("language", sorted(PERMISSION_GAMES))
def test_permission_games_do_not_break_the_next_test(language: str) -> None:
    result = _attack(language, PERMISSION_GAMES[language], tests=3)
    assert verdicts(result) == ["ran"] * 3, result
    assert _outputs(result) == [[], [], []]


NESTED_RESULTS = {
    "python": "import os\ndef attack():\n    os.write(4, b'[' * 100000 + b']' * 100000)\n"
    "    os._exit(0)\n",
    "cpp": "#include <unistd.h>\nstring attack() { string s(100000, '['); s += string(100000, ']');"
    " write(4, s.data(), s.size()); _exit(0); }",
    "javascript": "function attack() {"
    " require('fs').writeSync(4, '['.repeat(1e5) + ']'.repeat(1e5)); process.exit(0); }",
}


@pytest.mark.parametrize("language", sorted(NESTED_RESULTS))
def test_a_deeply_nested_result_is_a_runtime_error(language: str) -> None:
    tests = [{"args": [], "expected": "x"}]
    result = _attack(language, NESTED_RESULTS[language], test_list=tests)
    assert verdicts(result) == ["runtime_error"], result
    assert result["tests"][0]["error"] == "the return value is nested too deeply"


NESTED_SOURCES = {
    "python": "def attack():\n    return " + "1+" * 50_000 + "1\n",
    "cpp": "string attack() { return " + "(" * 50_000 + '""' + ")" * 50_000 + "; }",
    "javascript": "function attack() { return " + "[" * 50_000 + "]" * 50_000 + "; }",
}


@pytest.mark.parametrize("language", sorted(NESTED_SOURCES))
def test_a_deeply_nested_source_is_a_compile_error(language: str) -> None:
    result = _attack(language, NESTED_SOURCES[language])
    assert result["verdict"] == "compile_error", result
    assert result["compile_output"]


# --- 4. compile limits -------------------------------------------------------------------------

HUGE_SOURCES = {
    "python": "x = 1\n" * 5_000_000,
    "cpp": "int x;\n" * 5_000_000,
    "javascript": "let x;\n" * 5_000_000,
}


@pytest.mark.parametrize("language", sorted(HUGE_SOURCES))
def test_a_30_mb_source_is_a_compile_error(language: str) -> None:
    result = _attack(language, HUGE_SOURCES[language])
    assert result["verdict"] == "compile_error"
    assert "longer than" in result["compile_output"]


def test_including_dev_random_is_a_compile_error() -> None:
    result = _attack("cpp", '#include </dev/random>\nstring attack() { return ""; }')
    assert result["verdict"] == "compile_error", result
    assert result["compile_output"]


def test_the_compile_limit_is_inside_the_hosts_deadline() -> None:
    from sandbox import judging, languages

    assert languages.COMPILE_WALL_MS / 1000 < judging.COMPILE_BUDGET_S
    assert languages.COMPILE_CPU_MS <= languages.COMPILE_WALL_MS


# --- 5. stop at the first failed hidden test ---------------------------------------------------

SLEEPERS = {
    "python": "import time\ndef solve(n):\n    time.sleep(60)\n",
    "cpp": "#include <unistd.h>\nint solve(int n) { sleep(60); return n; }",
    "javascript": "function solve(n) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),"
    " 0, 0, 60000); return n; }",
}


@pytest.mark.parametrize("language", sorted(SLEEPERS))
def test_judging_stops_at_the_first_failed_hidden_test(language: str) -> None:
    samples = [{"args": [n], "expected": n} for n in range(2)]
    hidden = [{"args": [n], "expected": n, "hidden": True} for n in range(18)]
    result = judge(**request(language, SLEEPERS[language], samples + hidden, time_limit_ms=200))
    assert verdicts(result) == ["time_limit_exceeded"] * 3 + ["skipped"] * 17, result
    assert result["verdict"] == "time_limit_exceeded"
    assert result["failed_test"] == 0


# --- 6. CPU of children that were never reaped -------------------------------------------------

# A child burns 400 ms of CPU and exits; the parent waits until it is a zombie and returns
# without reaping it: under a 300 ms limit that is a TLE only if the zombie's CPU counts.
UNREAPED = {
    "python": "import os, time\ndef attack():\n    pid = os.fork()\n    if pid == 0:\n"
    "        while time.process_time() < 0.4:\n            pass\n        os._exit(0)\n"
    "    while open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0] != 'Z':\n"
    "        time.sleep(0.01)\n    return 'parent idle'\n",
    "cpp": "#include <unistd.h>\n#include <ctime>\n#include <fstream>\nstring attack() {"
    " pid_t pid = fork(); if (pid == 0) { while (clock() < CLOCKS_PER_SEC * 4 / 10) {}"
    ' _exit(0); } for (;;) { ifstream f("/proc/" + to_string(pid) + "/stat");'
    " string s((istreambuf_iterator<char>(f)), {}); if (s[s.rfind(')') + 2] == 'Z') break;"
    ' usleep(10000); } return "parent idle"; }',
    "javascript": "function attack() { const fs = require('fs');"
    " const child = require('child_process').spawn('/usr/bin/node', ['-e',"
    " 'while (process.cpuUsage().user < 400000);']);"
    " for (;;) { const s = fs.readFileSync('/proc/' + child.pid + '/stat', 'utf8');"
    " if (s[s.lastIndexOf(')') + 2] === 'Z') break;"
    " Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); }"
    " return 'parent idle'; }",
}


@pytest.mark.parametrize("language", sorted(UNREAPED))
def test_cpu_of_unreaped_children_counts(language: str, mode: str) -> None:
    result = _attack(language, UNREAPED[language], time_limit_ms=300)
    assert verdicts(result) == ["time_limit_exceeded"], result


# --- 7. fresh state per test -------------------------------------------------------------------

STATE = {
    "python": (
        "import ctypes, json, os\ndef attack():\n    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    state = {'tmp': sorted(os.listdir('/tmp')), 'shm': libc.shmget(4242, 4096, 0)}\n"
        "    state['ipc'] = open('/proc/sysvipc/shm').read().count('\\n') - 1\n"
        "    state['key'] = libc.syscall(248, b'user', b'k', b'secret', 6, -3)\n"
        "    libc.shmget(4242, 4096, 0o1000)\n    libc.msgget(4243, 0o1000)\n"
        "    libc.semget(4244, 1, 0o1000)\n    os.mkdir('/tmp/locked')\n"
        "    os.chmod('/tmp/locked', 0)\n    return json.dumps(state)\n",
        {"tmp": [], "shm": -1, "ipc": 0, "key": -1},
    ),
    "cpp": (
        "#include <sys/shm.h>\n#include <sys/stat.h>\n#include <sys/syscall.h>\n"
        "#include <unistd.h>\n#include <dirent.h>\nstring attack() {\n"
        '  int entries = 0; DIR* d = opendir("/tmp");'
        " while (dirent* e = readdir(d)) entries += e->d_name[0] != '.';\n"
        "  int shm = shmget(4242, 4096, 0);"
        ' long key = syscall(SYS_add_key, "user", "k", "secret", 6, -3);\n'
        '  shmget(4242, 4096, IPC_CREAT | 0600); mkdir("/tmp/locked", 0); '
        '  return "{\\"tmp\\": " + to_string(entries) + ", \\"shm\\": " + to_string(shm)'
        ' + ", \\"key\\": " + to_string(key) + "}"; }',
        {"tmp": 0, "shm": -1, "key": -1},
    ),
    "javascript": (
        "function attack() { const fs = require('fs');"
        " const state = { tmp: fs.readdirSync('/tmp'),"
        " ipc: fs.readFileSync('/proc/sysvipc/shm', 'utf8').split('\\n').length - 2 };"
        " fs.mkdirSync('/tmp/locked'); fs.writeFileSync('/tmp/locked/f', 'x');"
        " fs.chmodSync('/tmp/locked', 0); return JSON.stringify(state); }",
        {"tmp": [], "ipc": 0},
    ),
}


@pytest.mark.parametrize("language", sorted(STATE))
def test_no_state_survives_from_one_test_to_the_next(language: str) -> None:
    code, clean = STATE[language]
    result = _attack(language, code, tests=3)
    assert verdicts(result) == ["ran"] * 3, result
    assert _outputs(result) == [clean] * 3


# --- 8. renicing the supervisor ----------------------------------------------------------------

RENICE = {
    "python": "import json, os\ndef attack():\n    tries = []\n    for pid in (1, 0):\n"
    "        try:\n            os.setpriority(os.PRIO_PROCESS, pid, 19)\n"
    "            tries.append('ok')\n        except OSError as error:\n"
    "            tries.append(error.errno)\n"
    "    nice = int(open('/proc/1/stat').read().rsplit(')', 1)[1].split()[16])\n"
    "    return json.dumps([tries, nice])\n",
    "cpp": "#include <sys/resource.h>\n#include <fstream>\nstring attack() {"
    " int a = setpriority(PRIO_PROCESS, 1, 19); int b = setpriority(PRIO_PROCESS, 0, 19);"
    ' ifstream f("/proc/1/stat"); string s((istreambuf_iterator<char>(f)), {});'
    " istringstream rest(s.substr(s.rfind(')') + 2)); string field;"
    " for (int i = 0; i <= 16; i++) rest >> field;"
    ' return "[[" + to_string(a) + "," + to_string(b) + "]," + field + "]"; }',
    "javascript": "function attack() { const os = require('os'); const tries = [];"
    " for (const pid of [1, 0]) { try { os.setPriority(pid, 19); tries.push('ok'); }"
    " catch (e) { tries.push(e.errno ? -e.errno : e.code); } }"
    " const stat = require('fs').readFileSync('/proc/1/stat', 'utf8');"
    " return JSON.stringify([tries, Number(stat.slice(stat.lastIndexOf(')') + 2)"
    ".split(' ')[16])]); }",
}


@pytest.mark.parametrize("language", sorted(RENICE))
def test_the_supervisor_cannot_be_reniced(language: str) -> None:
    result = _attack(language, RENICE[language], tests=2)
    assert verdicts(result) == ["ran", "ran"], result
    for tries, nice in _outputs(result):
        assert "ok" not in tries and nice == 0, (tries, nice)


# --- a spare box serves one submission only ----------------------------------------------------


def test_a_spare_box_never_carries_anything_to_the_next_submission() -> None:
    code = (
        "import ctypes, json, os\ndef attack():\n    libc = ctypes.CDLL(None)\n"
        "    seen = {'tmp': sorted(os.listdir('/tmp')), 'work': sorted(os.listdir('/work')),"
        " 'shm': libc.shmget(777, 4096, 0)}\n"
        "    import builtins\n    seen['builtin'] = hasattr(builtins, 'MARK')\n"
        "    libc.shmget(777, 4096, 0o1600)\n    open('/tmp/mark', 'w').write('x')\n"
        "    open('/work/mark', 'w').write('x')\n"
        "    builtins.MARK = 1\n    return json.dumps(seen)\n"
    )
    # Not compared: the namespaces' inode numbers, which the kernel reuses once a box is gone
    # (a flake when the second box started after the first had ended).
    first, second = (_outputs(_attack("python", code))[0] for _ in range(2))
    for seen in (first, second):
        assert seen["tmp"] == [] and seen["shm"] == -1
        assert "mark" not in seen["work"] and not seen["builtin"]


# --- a fault of ours is logged and judged again ------------------------------------------------


def _kill_our_boxes() -> None:
    """SIGKILL every bwrap this process started (the box under judgement, and the spare)."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            name = fields[0].split("(", 1)[1]
        except (OSError, IndexError):
            continue
        if name == "bwrap" and fields[1].split()[1] == me:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(stat.parent.name), signal.SIGKILL)


def test_a_box_that_dies_is_a_logged_fault_judged_again(caplog: pytest.LogCaptureFixture) -> None:
    progress: list[str] = []

    def on_progress(done: int, total: int, result: dict[str, Any]) -> None:
        progress.append(result["verdict"])
        if len(progress) == 1:
            _kill_our_boxes()

    tests = [{"args": [n], "expected": 2 * n} for n in range(3)]
    with caplog.at_level(logging.ERROR, logger="sandbox"):
        result = judge(
            **request("python", "def solve(n):\n    return 2 * n\n", tests),
            on_progress=on_progress,
        )
    assert result["verdict"] == "accepted" and result["passed"] == 3, result
    assert progress == ["accepted"] * 4  # test 0, then the whole submission again
    assert "fault of the judge (attempt 1 of 2)" in caplog.text
