"""The attack catalogue: hostile submissions against the real sandbox.

Every case is judged next to an honest submission (two boxes at once) and asserts its verdict,
that the host is unchanged (canary files, a TCP and a UDP listener on 127.0.0.1 that must receive
nothing, a fake secret in the environment that must not leak) and that the judge still works.
"""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sandbox import judge
from sandbox.tests.support import NO_ARGS, TRIVIAL, judge_all, request, verdicts

pytestmark = pytest.mark.usefixtures("sandbox")

SECRET = "peerlearn-canary-secret-7f3c9a"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Host:
    canary: Path  # a folder of files that must stay exactly as they are
    tcp_port: int
    udp_port: int


@dataclass(frozen=True)
class Attack:
    name: str
    language: str
    code: str
    verdicts: tuple[str, ...]  # the verdict of every test (one test unless more are listed)
    kind: str = "function"
    check: Callable[[dict[str, Any]], None] | None = None
    options: dict[str, Any] = field(default_factory=dict)


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        + oct(path.stat().st_mode)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "secret.txt").write_text(SECRET)
    (canary / "hidden.json").write_text(json.dumps([{"args": [1], "expected": 2}]))
    before = _snapshot(canary)
    monkeypatch.setenv("PEERLEARN_FAKE_SECRET", SECRET)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
    ):
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        tcp.setblocking(False)
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        yield Host(canary, tcp.getsockname()[1], udp.getsockname()[1])
        with pytest.raises(BlockingIOError):
            tcp.accept()  # nobody connected
        with pytest.raises(BlockingIOError):
            udp.recvfrom(1024)  # nobody sent anything
    assert _snapshot(canary) == before
    assert sorted(path.name for path in canary.iterdir()) == ["hidden.json", "secret.txt"]


def _output(result: dict[str, Any]) -> str:
    return result["tests"][0]["output"]


def _no_secret(result: dict[str, Any]) -> None:
    assert SECRET not in json.dumps(result)


def _all_failed(result: dict[str, Any]) -> None:
    """The attack returns what each attempt ended with: every one must have failed."""
    outcomes = json.loads(json.loads(_output(result)))
    assert outcomes and all(outcome != "ok" for outcome in outcomes), outcomes
    _no_secret(result)


def _no_sleeper_left(result: dict[str, Any]) -> None:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert b"4242.4242" not in cmdline.read_bytes()
        except OSError:
            continue


def _environment_is_minimal(result: dict[str, Any]) -> None:
    environment = json.loads(json.loads(_output(result)))
    assert set(environment) <= {"PATH", "HOME", "LANG", "TMPDIR", "PWD", "MALLOC_ARENA_MAX"}
    _no_secret(result)


# Python: each attempt is tried and reported as "ok" or the exception's name.
TRY_ALL = """
import json, os, socket
def attempts():
    raise NotImplementedError
def attack():
    outcomes = []
    for attempt in attempts():
        try:
            attempt()
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(type(error).__name__)
    return json.dumps(outcomes)
"""


def _python_attempts(*lines: str) -> str:
    body = "\n".join(f"        lambda: {line}," for line in lines)
    return TRY_ALL.replace("    raise NotImplementedError", f"    return [\n{body}\n    ]")


def catalogue(host: Host) -> list[Attack]:
    canary = host.canary / "secret.txt"
    hidden = ROOT / "peerlearn" / "practice" / "bank"
    return [
        # --- Python: resources ---
        Attack(
            "fork bomb",
            "python",
            "import os\ndef attack():\n    while True:\n        try:\n            os.fork()\n"
            "        except OSError:\n            pass\n",
            ("time_limit_exceeded",),
        ),
        Attack(
            "thread bomb",
            "python",
            "import threading, time\ndef attack():\n    while True:\n"
            "        threading.Thread(target=time.sleep, args=(60,)).start()\n",
            ("runtime_error",),
        ),
        Attack(
            "8 GB allocation",
            "python",
            "def attack():\n    return len(bytearray(8 * 10**9))\n",
            ("memory_limit_exceeded",),
        ),
        Attack(
            "memory grown 10 MB at a time",
            "python",
            "def attack():\n    hoard = []\n    while True:\n"
            "        hoard.append(bytearray(10**7))\n",
            ("memory_limit_exceeded",),
        ),
        Attack(
            "infinite loop",
            "python",
            "def attack():\n    while True:\n        pass\n",
            ("time_limit_exceeded",),
        ),
        Attack(
            "sleep",
            "python",
            "import time\ndef attack():\n    time.sleep(3600)\n",
            ("time_limit_exceeded",),
        ),
        Attack(
            "blocking input() (stdin is closed: it cannot block)",
            "python",
            "def attack():\n    return input()\n",
            ("runtime_error",),
        ),
        Attack(
            "blocking read of a FIFO nobody writes",
            "python",
            "import os\ndef attack():\n    os.mkfifo('/tmp/never')\n"
            "    return open('/tmp/never').read()\n",
            ("time_limit_exceeded",),
        ),
        Attack(
            "CPU spin in 8 threads",
            "python",
            "import threading\ndef spin():\n    while True:\n        pass\n"
            "def attack():\n    for _ in range(8):\n"
            "        threading.Thread(target=spin, daemon=True).start()\n    spin()\n",
            ("time_limit_exceeded",),
        ),
        Attack(
            "infinite output",
            "python",
            "def attack():\n    while True:\n        print('spam' * 250)\n",
            ("output_limit_exceeded",),
        ),
        Attack(
            "10 GB file",
            "python",
            "def attack():\n    with open('/tmp/huge', 'wb') as out:\n"
            "        for _ in range(10_000):\n            out.write(b'x' * 10**6)\n",
            ("output_limit_exceeded",),
        ),
        Attack(
            "a million files",
            "python",
            "def attack():\n    for i in range(10**6):\n        open(f'/tmp/f{i}', 'w').close()\n",
            ("output_limit_exceeded",),
        ),
        Attack(
            "huge recursion",
            "python",
            "def attack():\n    def down(n):\n        return down(n + 1) + 1\n    return down(0)\n",
            ("runtime_error",),
            check=lambda result: _assert_in("RecursionError", result["tests"][0]["error"]),
        ),
        Attack(
            "a background process outlives the test",
            "python",
            "import subprocess\ndef attack():\n"
            "    subprocess.Popen(['sleep', '4242.4242'], start_new_session=True)\n"
            "    return 'left behind'\n",
            ("ran",),
            check=_no_sleeper_left,
        ),
        # --- Python: reading what it must not see ---
        Attack(
            "the host's /etc/passwd, the project, the tests, the canary",
            "python",
            _python_attempts(
                "open('/etc/passwd').read()",
                "open('/etc/shadow').read()",
                f"open({str(ROOT / 'manage.py')!r}).read()",
                f"open({str(ROOT / 'conftest.py')!r}).read()",
                f"os.listdir({str(hidden)!r})",
                f"open({str(canary)!r}).read()",
                "os.listdir('/root')",
                "os.listdir('/home')",
                "os.listdir('/sys')",
            ),
            ("ran",),
            check=_all_failed,
        ),
        Attack(
            "/proc/1/environ and the supervisor's pipes",
            "python",
            _python_attempts(
                "open('/proc/1/environ').read()",
                "open('/proc/1/fd/0').read()",
                "open('/proc/1/fd/1', 'w').write('{}')",
                "open('/proc/1/mem', 'rb').read(1)",
                "os.readlink('/proc/1/exe')",
            ),
            ("ran",),
            check=_all_failed,
        ),
        Attack(
            "environment snooping for secrets",
            "python",
            "import json, os\ndef attack():\n    return json.dumps(dict(os.environ))\n",
            ("ran",),
            check=_environment_is_minimal,
        ),
        # --- Python: network ---
        Attack(
            "TCP to PostgreSQL, Redis and a web server on 127.0.0.1",
            "python",
            _python_attempts(
                "socket.create_connection(('127.0.0.1', 5432), timeout=1)",
                "socket.create_connection(('127.0.0.1', 6379), timeout=1)",
                f"socket.create_connection(('127.0.0.1', {host.tcp_port}), timeout=1)",
                "socket.create_connection(('127.0.0.1', 8000), timeout=1)",
                "socket.create_connection(('1.1.1.1', 443), timeout=1)",
            ),
            ("ran",),
            check=_all_failed,
        ),
        Attack(
            "UDP and DNS",
            "python",
            _python_attempts(
                "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('8.8.8.8', 53))",
                "socket.getaddrinfo('example.com', 80)",
                # Sent into the box's own loopback: the host's listener must receive nothing.
                "socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
                f".sendto(b'x', ('127.0.0.1', {host.udp_port})) and 1 / 0",
            ),
            ("ran",),
            check=_all_failed,
        ),
        # --- Python: escaping ---
        Attack(
            "killing the parent, PID 1 and bwrap",
            "python",
            "import os\ndef attack():\n    for pid in (1, os.getppid()):\n        try:\n"
            "            os.kill(pid, 9)\n        except OSError:\n            pass\n"
            "    return 'still here'\n",
            ("ran", "ran"),
        ),
        Attack(
            "kill(-1) takes only the box's own processes",
            "python",
            "import os\ndef attack():\n    os.kill(-1, 9)\n",
            # It kills the zygote that forked it (the only other process it may signal) and
            # returns; the second test runs in a new zygote.
            ("ran", "ran"),
        ),
        Attack(
            "symlinks planted for the host to follow, a forged result",
            "python",
            "import os\ndef attack():\n"
            f"    for path in ('/work/solution.py', '/tmp/result', '/work/result.json'):\n"
            "        try:\n            os.unlink(path)\n        except OSError:\n            pass\n"
            f"        os.symlink({str(canary)!r}, path)\n"
            "    try:\n"
            "        with open('/proc/1/fd/1', 'w') as host:\n"
            '            host.write(\'{"event": "result", "status": "ok", "result": "2"}\\n\')\n'
            "    except OSError:\n        pass\n"
            "    os.write(4, b'2')\n"
            "    return 3\n",
            ("wrong_answer", "wrong_answer"),
            options={"tests": [{"args": [], "expected": 2}] * 2},
        ),
        Attack(
            "ctypes: unshare, mount, ptrace, setuid, chroot",
            "python",
            "import ctypes, json\ndef attack():\n    libc = ctypes.CDLL(None, use_errno=True)\n"
            "    calls = [\n        lambda: libc.unshare(0x10000000),\n"
            "        lambda: libc.unshare(0x00020000),\n"
            "        lambda: libc.mount(b'none', b'/usr', b'tmpfs', 0, None),\n"
            "        lambda: libc.ptrace(16, 1, 0, 0),\n        lambda: libc.setuid(0),\n"
            "        lambda: libc.chroot(b'/work'),\n    ]\n"
            "    return json.dumps(['ok' if call() == 0 else 'refused' for call in calls])\n",
            ("ran",),
            check=_all_failed,
        ),
        Attack(
            "writing to the system, /judge, /dev/shm and /proc",
            "python",
            _python_attempts(
                "open('/usr/bin/python3', 'ab').write(b'x')",
                "open('/usr/evil', 'w').write('x')",
                "open('/etc/evil', 'w').write('x')",
                "open('/judge/supervisor.py', 'w').write('x')",
                "open('/dev/shm/x', 'w').write('x')",
                "open('/proc/sys/kernel/hostname', 'w').write('x')",
                "open('/evil', 'w').write('x')",
            ),
            ("ran",),
            check=_all_failed,
        ),
        # --- C++ ---
        Attack(
            "C++ fork bomb",
            "cpp",
            "#include <unistd.h>\nstring attack() { for (;;) fork(); }",
            ("time_limit_exceeded",),
        ),
        Attack(
            "C++ shell fork bomb through system()",
            "cpp",
            '#include <cstdlib>\nstring attack() { system(":(){ :|:& };:"); return "done"; }',
            ("ran",),
        ),
        Attack(
            "C++ CPU spin in 8 threads",
            "cpp",
            "#include <pthread.h>\nstatic void* spin(void*) { for (;;) {} }\n"
            "string attack() { pthread_attr_t a; pthread_attr_init(&a);"
            " pthread_attr_setstacksize(&a, 1 << 16); pthread_t t;"
            " for (int i = 0; i < 8; i++) pthread_create(&t, &a, spin, nullptr); spin(nullptr);"
            ' return ""; }',
            ("time_limit_exceeded",),
        ),
        Attack(
            "C++ 8 GB allocation",
            "cpp",
            "string attack() { vector<char> hoard(8000000000LL, 'x');"
            " return string(1, hoard.back()); }",
            ("memory_limit_exceeded",),
        ),
        Attack(
            "C++ 10 GB file",
            "cpp",
            'string attack() { FILE* f = fopen("/tmp/huge", "w"); string mb(1 << 20, \'x\');'
            " for (int i = 0; i < 10240; i++) fwrite(mb.data(), 1, mb.size(), f);"
            ' return "written"; }',
            ("output_limit_exceeded",),
        ),
        Attack(
            "C++ stack overflow",
            "cpp",
            "int down(int n) { volatile char pad[4096]; pad[0] = n;"
            " return down(n + 1) + pad[0]; }\n"
            "string attack() { return to_string(down(0)); }",
            ("runtime_error",),
        ),
        Attack(
            "C++ network and files",
            "cpp",
            "#include <arpa/inet.h>\n#include <sys/socket.h>\n#include <unistd.h>\n"
            "bool connects(int port) { int s = socket(AF_INET, SOCK_STREAM, 0);"
            " sockaddr_in a{}; a.sin_family = AF_INET; a.sin_port = htons(port);"
            ' inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);'
            " return connect(s, (sockaddr*)&a, sizeof a) == 0; }\n"
            'string attack() { string r = "[";\n'
            f"  for (int port : {{5432, 6379, {host.tcp_port}}})"
            ' r += connects(port) ? "\\"ok\\"," : "\\"refused\\",";\n'
            f'  for (const char* p : {{"/etc/passwd", "{ROOT / "manage.py"}", "{canary}"}})'
            ' r += fopen(p, "r") ? "\\"ok\\"," : "\\"missing\\",";\n'
            '  r += getenv("PEERLEARN_FAKE_SECRET") ? "\\"ok\\"]" : "\\"unset\\"]"; return r; }',
            ("ran",),
            check=_all_failed,
        ),
        # --- JavaScript ---
        Attack(
            "JavaScript fork bomb through child_process",
            "javascript",
            "function attack() { const cp = require('child_process');"
            " for (;;) { try { cp.spawn('node', ['-e', 'for(;;){}']); } catch (e) {} } }",
            ("time_limit_exceeded",),
        ),
        Attack(
            "JavaScript infinite loop",
            "javascript",
            "function attack() { for (;;) {} }",
            ("time_limit_exceeded",),
        ),
        Attack(
            "JavaScript huge allocation",
            "javascript",
            "function attack() { return new ArrayBuffer(6e9).byteLength; }",
            ("memory_limit_exceeded",),
        ),
        Attack(
            "JavaScript heap exhaustion",
            "javascript",
            "function attack() { const a = []; for (;;) a.push(new Array(1e6).fill(a.length)); }",
            ("memory_limit_exceeded",),
        ),
        Attack(
            "JavaScript 10 GB file",
            "javascript",
            "function attack() { const fs = require('fs'); const mb = Buffer.alloc(1 << 20);"
            " const fd = fs.openSync('/tmp/huge', 'w');"
            " for (let i = 0; i < 10240; i++) fs.writeSync(fd, mb); return 'written'; }",
            ("output_limit_exceeded",),
        ),
        Attack(
            "JavaScript files and environment",
            "javascript",
            "function attack() { const fs = require('fs'); const tries = ["
            " () => fs.readFileSync('/etc/passwd', 'utf8'),"
            f" () => fs.readFileSync({json.dumps(str(ROOT / 'manage.py'))}),"
            f" () => fs.readFileSync({json.dumps(str(canary))}),"
            " () => fs.writeFileSync('/usr/evil', 'x'),"
            " () => { if (!process.env.PEERLEARN_FAKE_SECRET) throw new Error('unset'); } ];"
            " return JSON.stringify(tries.map(t => { try { t(); return 'ok'; }"
            " catch (e) { return e.code || e.message; } })); }",
            ("ran",),
            check=_all_failed,
        ),
        Attack(
            "JavaScript network",
            "javascript",
            "const net = require('net'); const dns = require('dns'); const results = [];\n"
            "const done = (r) => { results.push(r); if (results.length === 4)"
            " console.log(JSON.stringify(results)); };\n"
            f"for (const port of [5432, 6379, {host.tcp_port}]) net.connect(port, '127.0.0.1')"
            ".on('connect', () => done('ok')).on('error', (e) => done(e.code));\n"
            "dns.lookup('example.com', (e) => done(e ? e.code : 'ok'));\n",
            ("ran",),
            kind="stdio",
            check=lambda result: _all_failed(
                {**result, "tests": [{"output": json.dumps(_output(result))}]}
            ),
        ),
    ]


def _assert_in(needle: str, haystack: str) -> None:
    assert needle in haystack, haystack


ATTACK_NAMES = [attack.name for attack in catalogue(Host(Path("/canary"), 1, 1))]


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_attack_is_contained(name: str, host: Host) -> None:
    attack = next(attack for attack in catalogue(host) if attack.name == name)
    count = len(attack.verdicts)
    tests = attack.options.get("tests", [{"args": []}] * count)
    if attack.kind == "stdio":
        tests = [{"input": ""}] * count
    result, honest = judge_all(
        [
            request(
                attack.language,
                attack.code,
                tests,
                kind=attack.kind,
                signature=NO_ARGS if attack.kind == "function" else None,
                time_limit_ms=500,
                memory_limit_mb=128,
            ),
            TRIVIAL,
        ]
    )
    assert verdicts(result) == list(attack.verdicts), result
    # Every box ended within its own limits: a time limit the supervisor enforced reports at
    # least the 500 ms limit, one the host's deadline cut short would report 0 ms (skipped).
    for test in result["tests"]:
        if test["verdict"] == "time_limit_exceeded":
            assert test["time_ms"] >= 500, result
    assert honest["verdict"] == "accepted", honest
    if attack.check is not None:
        attack.check(result)
    _no_secret(result)
    assert judge(**dict(TRIVIAL))["verdict"] == "accepted"  # the judge still works afterwards


def test_two_boxes_never_share_tmp_or_dev_shm(host: Host) -> None:
    writer = (
        "import os, time\ndef attack():\n"
        "    for path in ('/tmp/mark', '/dev/shm/mark', '/work/mark'):\n"
        "        try:\n            open(path, 'w').write('x')\n"
        "        except OSError:\n            pass\n"
        "    time.sleep(1.5)\n    return 'written'\n"
    )
    reader = (
        "import os, time\ndef attack():\n    time.sleep(0.5)\n"
        "    names = os.listdir('/tmp') + os.listdir('/dev/shm') + os.listdir('/work')\n"
        "    return ' '.join(sorted(names))\n"
    )
    written, seen = judge_all(
        [
            request("python", writer, [{"args": []}], signature=NO_ARGS, time_limit_ms=3000),
            request("python", reader, [{"args": []}], signature=NO_ARGS, time_limit_ms=3000),
        ]
    )
    assert verdicts(written) == ["ran"] and verdicts(seen) == ["ran"]
    assert "mark" not in _output(seen)


def test_files_of_one_test_are_gone_in_the_next() -> None:
    code = (
        "import os\ndef attack():\n    found = sorted(os.listdir('/tmp'))\n"
        "    open('/tmp/left-over', 'w').write('x')\n    return ' '.join(found)\n"
    )
    result = judge(**request("python", code, [{"args": []}] * 2, signature=NO_ARGS))
    assert [test["output"] for test in result["tests"]] == ['""', '""']
