"""One bubblewrap box per submission, and the JSON-lines conversation with its supervisor.

The box sees a read-only /usr (with the /bin, /lib* links of a merged-/usr system) and
/etc/ld.so.cache, a fresh /proc and minimal /dev (both read-only except the device nodes), a
64 MB tmpfs at /work (also /tmp), and the supervisor and harness files under /judge, copied in
through memfds. Nothing of the host's /etc, /home, /root, /tmp or the project is visible; the
box has no network, its own PID/IPC/UTS/cgroup/user namespaces and no capabilities. See
docs/judge.md for every flag.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import queue
import selectors
import shutil
import signal
import struct
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox import cgroups
from sandbox.errors import SandboxUnavailable
from sandbox.safejson import loads_flat

GUEST = Path(__file__).resolve().parent / "guest"
GUEST_FILES = ("supervisor.py", "harness.hpp", "runner.js")
WORK_BYTES = 64 * 1024 * 1024
NOBODY = 65534
STDERR_KEEP = 16 * 1024
START_TIMEOUT_S = 10.0
INSTALL_HINT = "bubblewrap (bwrap) is not installed: apt install bubblewrap"


def bwrap_path() -> str:
    path = os.environ.get("PEERLEARN_BWRAP") or shutil.which("bwrap") or "/usr/bin/bwrap"
    if not os.access(path, os.X_OK):
        raise SandboxUnavailable(INSTALL_HINT)
    return path


def bwrap_argv(bwrap: str, python: str, data_fds: dict[str, int]) -> list[str]:
    argv = [
        bwrap,
        "--unshare-all",  # user, PID, network, IPC, UTS and cgroup namespaces
        "--unshare-user",  # required by --disable-userns even where --unshare-all implies it
        "--disable-userns",  # no nested user namespace: no way back to capabilities
        "--die-with-parent",
        "--new-session",  # no TIOCSTI into the host's terminal
        "--as-pid-1",  # the supervisor is PID 1: unkillable from inside, reaps the box
        "--cap-drop",
        "ALL",
        "--hostname",
        "judge",
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "HOME",
        "/work",
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--setenv",
        "TMPDIR",
        "/tmp",  # noqa: S108 - the box's own /tmp (a link into its tmpfs)
        # glibc reserves 64 MB of address space per malloc arena (one per thread, up to 8 per
        # core): under RLIMIT_AS a program with a few threads would run out of it at once.
        "--setenv",
        "MALLOC_ARENA_MAX",
        "1",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    if os.path.exists("/etc/ld.so.cache"):
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(WORK_BYTES), "--tmpfs", "/work"]
    argv += ["--symlink", "/work/tmp", "/tmp"]  # noqa: S108 - inside the box
    for name, fd in data_fds.items():
        argv += ["--ro-bind-data", str(fd), f"/judge/{name}"]
    argv += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/work"]
    return [*argv, python, "-I", "/judge/supervisor.py"]


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _unprivileged() -> dict[str, Any]:
    """Run bwrap as nobody when we are root: the box then owns nothing on the host."""
    if os.geteuid() != 0:
        return {}
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []}


# x86_64 system call numbers the box may not make (bwrap --seccomp): changing the priority or
# CPU affinity of any process (the supervisor's included) and the kernel keyring, whose keys
# would otherwise outlive a test. Any other architecture's calls (32-bit, x32) fail with ENOSYS.
DENIED_SYSCALLS = {
    "setpriority": 141,
    "sched_setparam": 142,
    "sched_setscheduler": 144,
    "sched_setaffinity": 203,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "ioprio_set": 251,
    "sched_setattr": 314,
}
AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
MAX_SPARES = 4  # spare boxes kept at most (one per worker thread judging at once)
MAX_USES = 50  # submissions one recycled box judges before it is closed and replaced
RECYCLE_TIMEOUT_S = 2.0  # a recycled box says "ready" again within this, or is replaced
RECYCLE = b'{"event": "recycle"}\n'
PROCESSES = 96  # the whole box: supervisor, program, its threads and children
IDLE_MEMORY_BYTES = 128 * 1024 * 1024  # a box waiting for its plan, and compiling Python


def seccomp_program() -> bytes:
    """A classic-BPF seccomp filter: EPERM for DENIED_SYSCALLS, ENOSYS off x86_64, else allow."""
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, errno = 0x7FFF0000, 0x00050000
    denied = sorted(DENIED_SYSCALLS.values())
    eperm = 4 + len(denied) + 1
    enosys = eperm + 1

    def insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    program = [
        insn(ld_abs, 4),  # seccomp_data.arch
        insn(jeq, AUDIT_ARCH_X86_64, 0, enosys - 2),
        insn(ld_abs, 0),  # seccomp_data.nr
        insn(jge, X32_SYSCALL_BIT, enosys - 4, 0),
    ]
    for index, number in enumerate(denied):
        program.append(insn(jeq, number, eperm - (4 + index) - 1, 0))
    program += [insn(ret, allow), insn(ret, errno | 1), insn(ret, errno | 38)]
    return b"".join(program)


def _read_info(fd: int, deadline: float) -> dict[str, Any]:
    """bwrap's --info-fd JSON (the box's PID 1 as the host sees it)."""
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            with contextlib.suppress(ValueError):
                return dict(json.loads(data))
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise SandboxUnavailable("bubblewrap did not start the box in time")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise SandboxUnavailable("bubblewrap exited before creating the box")
            data += chunk
            if len(data) > 65536:
                raise SandboxUnavailable("bubblewrap's --info-fd said too much")


class Box:
    """A running box. Use as a context manager: leaving it kills the box's whole process tree.

    The box is created held (bwrap --block-fd) until it is in its cgroup and its PID 1 is out of
    the OOM killer's reach; then it starts the supervisor, which waits for its plan.
    """

    serials = itertools.count(1)

    def __init__(self, python: str) -> None:
        self.serial = next(Box.serials)  # which box this is (a PID may be reused; this is not)
        hierarchy = cgroups.require_bound()
        self.cgroup = cgroups.BoxCgroup(hierarchy) if hierarchy is not None else None
        self.counter_fds: dict[str, int] = {}
        data_fds = {name: _memfd(name, (GUEST / name).read_bytes()) for name in GUEST_FILES}
        seccomp = _memfd("seccomp", seccomp_program())
        info_read, info_write = os.pipe()
        block_read, block_write = os.pipe()
        bwrap = bwrap_path()
        try:
            if self.cgroup is not None:
                self.cgroup.set_limits(memory_bytes=IDLE_MEMORY_BYTES, processes=PROCESSES)
                self.counter_fds = self.cgroup.counter_fds()
            argv = bwrap_argv(bwrap, python, data_fds)
            control = ["--info-fd", str(info_write), "--block-fd", str(block_read)]
            control += ["--seccomp", str(seccomp)]
            argv[1:1] = control
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(
                    *data_fds.values(),
                    seccomp,
                    info_write,
                    block_read,
                    *self.counter_fds.values(),
                ),
                start_new_session=True,
                cwd="/",
                env={"PATH": "/usr/bin:/bin"},
                **_unprivileged(),
            )
        except OSError as error:
            self._release_counters()
            if self.cgroup is not None:
                self.cgroup.remove()
            raise SandboxUnavailable(f"cannot start {bwrap}: {error}") from error
        finally:
            for fd in (*data_fds.values(), seccomp, info_write, block_read):
                os.close(fd)
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self.stdin = self.process.stdin.fileno()
        self.stdout = self.process.stdout.fileno()
        self.stderr = self.process.stderr.fileno()
        for fd in (self.stdin, self.stdout, self.stderr):
            os.set_blocking(fd, False)
        # One selector for the box's whole life (request() waits on it once per test).
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.stdout, selectors.EVENT_READ)
        self.selector.register(self.stderr, selectors.EVENT_READ)
        self.on_exit: Callable[[], None] | None = None  # Spares counts the boxes in use
        # Recycling (Spares): which submissions this box may judge after its first one (None:
        # none), whether the last one ended cleanly (the judge says so), and how often.
        self.reuse_key: tuple[Any, ...] | None = None
        self.spares_key: tuple[str, ...] | None = None
        self.finished_cleanly = False
        self.broken = False
        self.uses = 0
        self.pending = b""
        self.stderr_tail = b""
        self.timed_out = False
        self.ready = False
        try:
            self._release(info_read, block_write)
        except BaseException:
            self.close()
            raise
        finally:
            os.close(info_read)
            os.close(block_write)

    def _release(self, info_read: int, block_write: int) -> None:
        try:
            info = _read_info(info_read, time.monotonic() + START_TIMEOUT_S)
        except SandboxUnavailable as error:
            raise SandboxUnavailable(f"{error}: {self.failure()}") from None
        pid1 = int(info["child-pid"])
        if self.cgroup is not None:
            self.cgroup.join(self.process.pid)
            self.cgroup.join(pid1)
        with contextlib.suppress(OSError):
            # PID 1 is the OOM killer's last choice (its children raise their own score to
            # 1000, and cannot go below -999 again): the box's processes die before it does.
            Path(f"/proc/{pid1}/oom_score_adj").write_text("-999")
        os.write(block_write, b"x")

    def meter(self) -> dict[str, Any]:
        """How the supervisor measures the box: the cgroup's counters, or its own fallback."""
        if self.cgroup is None:
            return {"kind": "fallback", "fds": {}}
        return {"kind": f"cgroup{self.cgroup.version}", "fds": self.counter_fds}

    def set_memory(self, limit_bytes: int) -> None:
        """The box's memory limit: what it holds now plus `limit_bytes` (no-op without cgroup)."""
        if self.cgroup is not None:
            self.cgroup.set_memory(self.cgroup.memory_now() + limit_bytes)

    def oom_kills(self) -> int:
        """The box's OOM kills so far (0 without a cgroup: the fallback has no OOM killer)."""
        if "events" not in self.counter_fds:
            return 0
        return cgroups.oom_kills(os.pread(self.counter_fds["events"], 4096, 0).decode())

    def alive(self) -> bool:
        return self.process.poll() is None

    def _release_counters(self) -> None:
        for fd in self.counter_fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self.counter_fds = {}

    def __enter__(self) -> Box:
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        recycled = exc_type is None and self._recycle()
        if not recycled:
            self.kill()
            REAPER.put(self)  # waiting for the box to be gone is nobody's latency
        if self.on_exit is not None:
            self.on_exit()
            self.on_exit = None
        if recycled:
            SPARES.give_back(self)

    def _recycle(self) -> bool:
        """Ask the supervisor to clear the box for another submission of the same kind; only
        after a submission that ended cleanly, with nothing unread, at most MAX_USES times."""
        clean = self.finished_cleanly and not (self.broken or self.timed_out or self.pending)
        self.finished_cleanly = False
        if not clean or self.reuse_key is None or self.uses + 1 >= MAX_USES or not self.alive():
            return False
        try:
            if os.write(self.stdin, RECYCLE) != len(RECYCLE):
                return False
        except OSError:
            return False
        self.uses += 1
        self.ready = False
        self.stderr_tail = b""
        return True

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def close(self) -> None:
        # bwrap leads its own process group; once it dies, --die-with-parent kills the box's
        # PID 1 and with it the PID namespace and everything in it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.selector.close()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        self._release_counters()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def started(self, deadline: float) -> bool:
        """Wait for the supervisor's "ready" line: it has started and waits for its plan."""
        if not self.ready:
            reply = self.request(None, deadline, 4096)
            self.ready = reply is not None and reply.get("event") == "ready"
        return self.ready

    def request(
        self, message: dict[str, Any] | None, deadline: float, max_reply: int
    ) -> dict | None:
        """Send one message (if any) and wait for the reply line; None if the box died or time
        ran out."""
        outgoing = memoryview(b"" if message is None else (json.dumps(message) + "\n").encode())
        if outgoing:
            try:  # a test's message nearly always fits in the pipe: no wait for it at all
                outgoing = outgoing[os.write(self.stdin, outgoing) :]
            except BlockingIOError:
                pass
            except BrokenPipeError:
                self.broken = True
                return None
        if outgoing:
            self.selector.register(self.stdin, selectors.EVENT_WRITE)
        try:
            if not self._wait_for_line(outgoing, deadline, max_reply):
                self.broken = True
                return None
        finally:
            if outgoing:
                with contextlib.suppress(KeyError):
                    self.selector.unregister(self.stdin)
        line, self.pending = self.pending.split(b"\n", 1)
        try:
            reply = loads_flat(line)  # what the program printed is inside it as strings
        except ValueError:
            self.broken = True
            return None
        if not isinstance(reply, dict):
            self.broken = True
            return None
        return reply

    def _wait_for_line(self, outgoing: memoryview, deadline: float, max_reply: int) -> bool:
        """Write the rest of `outgoing` and read until a whole line is pending."""
        while b"\n" not in self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                return False
            for key, _ in self.selector.select(remaining):
                fd = key.fd
                if fd == self.stdin:
                    try:
                        outgoing = outgoing[os.write(fd, outgoing) :]
                    except BrokenPipeError:
                        return False
                    if not outgoing:
                        self.selector.unregister(fd)
                    continue
                chunk = os.read(fd, 1 << 20)
                if fd == self.stderr:
                    self.stderr_tail = (self.stderr_tail + chunk)[-STDERR_KEEP:]
                    if not chunk:
                        self.selector.unregister(fd)
                    continue
                if not chunk:
                    return False
                self.pending += chunk
                if len(self.pending) > max_reply:
                    return False
        return True

    def failure(self) -> str:
        """What went wrong, from bwrap's or the supervisor's stderr."""
        deadline = time.monotonic() + 1
        with selectors.DefaultSelector() as selector:
            selector.register(self.stderr, selectors.EVENT_READ)
            while (remaining := deadline - time.monotonic()) > 0 and selector.select(remaining):
                chunk = os.read(self.stderr, 1 << 16)
                if not chunk:
                    break
                self.stderr_tail = (self.stderr_tail + chunk)[-STDERR_KEEP:]
        return self.stderr_tail.decode("utf-8", errors="replace").strip()


class Spares:
    """Boxes started ahead of need, so a submission never waits for bwrap and Python to start,
    and boxes recycled for the next submission of the same kind.

    A spare box has run nothing: it holds a fresh supervisor waiting for its first plan. As
    many are kept as boxes were ever in use at once in this process (one per concurrent worker
    thread, at most MAX_SPARES): with one spare for two workers, the second would start its box
    cold, and two workers would wait on one another. They are started by one long-lived thread
    (bwrap's --die-with-parent follows the thread that started it), all the missing ones at
    once, then waited for. Boxes are only taken for the same configuration (bwrap, Python,
    cgroup mode) they were made with. PEERLEARN_JUDGE_SPARE=0 turns spares and recycling off.

    Recycling: a box whose submission ended cleanly (every reply read, no time-out, no fault)
    and that was taken with a `reuse` key is cleared by its supervisor (every process killed,
    /work wiped, SysV objects removed: what already happens between two tests) and judges the
    next submission with the same key, up to MAX_USES. The judge gives a key only to C++ and
    JavaScript (sandbox/judging.py): their tests are programs started with exec, so nothing of
    the supervisor's memory, which held the earlier submissions, is ever visible to them. A
    Python test runs in a fork of the supervisor, so a Python submission always gets a box that
    has judged nothing. Recycling saves starting and tearing down a box (bwrap, the namespaces,
    the cgroup, a Python start: most of a short submission's CPU).
    """

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.ready: dict[tuple[str, ...], list[Box]] = {}
        self.wanted: tuple[str, ...] | None = None
        self.thread: threading.Thread | None = None
        self.in_use = 0
        self.count = 1  # spares to keep: the most boxes in use at once so far
        self.recycled: dict[tuple[Any, ...], list[Box]] = {}  # (spares key, reuse key): boxes

    @staticmethod
    def key(python: str) -> tuple[str, ...]:
        names = ("PEERLEARN_BWRAP", cgroups.MODE_ENV, cgroups.REQUIRE_ENV, "PEERLEARN_JUDGE_SPARE")
        return (python, *(os.environ.get(name, "") for name in names))

    def take(self, python: str, reuse: tuple[Any, ...] | None = None) -> Box:
        """A box for one submission: a recycled one of the same `reuse` key (None: never),
        else a spare, else a new one."""
        key = self.key(python)
        if os.environ.get("PEERLEARN_JUDGE_SPARE", "1") == "0":
            return Box(python)
        recycled = self._take_recycled(key, reuse) if reuse is not None else None
        if recycled is not None:
            return recycled
        with self.condition:
            boxes = self.ready.get(key, [])
            box = boxes.pop(0) if boxes else None
            self.in_use += 1
            self.count = min(MAX_SPARES, max(self.count, self.in_use))
            self._want(key)
        try:
            if box is None or not box.alive():
                if box is not None:
                    box.close()
                box = Box(python)
        except BaseException:
            self._returned()
            raise
        box.on_exit = self._returned
        box.reuse_key, box.spares_key = reuse, key
        return box

    def _take_recycled(self, key: tuple[str, ...], reuse: tuple[Any, ...]) -> Box | None:
        while True:
            with self.condition:
                boxes = self.recycled.get((key, reuse), [])
                if not boxes:
                    return None
                box = boxes.pop(0)  # the one given back longest ago: it is ready by now
                self.in_use += 1
            # Its supervisor said "ready" long ago unless the last submission just ended.
            if box.alive() and box.started(time.monotonic() + RECYCLE_TIMEOUT_S):
                box.on_exit = self._returned
                return box
            self._returned()
            box.kill()
            REAPER.put(box)

    def give_back(self, box: Box) -> None:
        """A box its supervisor is clearing (Box._recycle): kept for the next submission with
        the same keys, unless the configuration changed or enough are kept already."""
        with self.condition:
            boxes = self.recycled.setdefault((box.spares_key, box.reuse_key), [])
            kept = box.spares_key == self.wanted and len(boxes) < MAX_SPARES
            if kept:
                boxes.append(box)
        if not kept:
            box.kill()
            REAPER.put(box)

    def _returned(self) -> None:
        with self.condition:
            self.in_use -= 1

    def _want(self, key: tuple[str, ...]) -> None:
        """Ask the spares thread (started on first use) for boxes of `key`; hold the lock."""
        self.wanted = key
        if self.thread is None:
            self.thread = threading.Thread(target=self._keep, name="judge-spares", daemon=True)
            self.thread.start()
        self.condition.notify()

    def _missing(self) -> int:
        if self.wanted is None:
            return 0
        return self.count - len(self.ready.get(self.wanted, []))

    def _keep(self) -> None:
        while True:
            with self.condition:
                while self._missing() <= 0:
                    self.condition.wait()
                key = self.wanted
                assert key is not None
                missing = self._missing()
                stale = [
                    box for other, boxes in self.ready.items() if other != key for box in boxes
                ]
                self.ready = {key: self.ready.get(key, [])}
            for box in stale:
                box.close()
            spares: list[Box] = []
            started: list[Box] = []
            try:
                for _ in range(missing):
                    spares.append(Box(key[0]))
                deadline = time.monotonic() + START_TIMEOUT_S
                started = [spare for spare in spares if spare.started(deadline)]
                if not started:
                    raise SandboxUnavailable("no spare box started")
            except Exception:  # judge() reports the problem when it comes to it
                started = []
                with self.condition:
                    if self.wanted == key:
                        self.wanted = None
            for spare in spares:
                if spare not in started:
                    spare.close()
            if not started:
                continue
            with self.condition:
                kept = self.key(key[0]) == key and self.wanted == key
                if kept:
                    self.ready.setdefault(key, []).extend(started)
            if not kept:
                for spare in started:
                    spare.close()

    def wait_ready(self, python: str, timeout: float) -> bool:
        """Whether a spare box for `python` is ready (waiting up to `timeout` seconds)."""
        key = self.key(python)
        with self.condition:
            self._want(key)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.condition:
                if self.ready.get(key):
                    return True
            time.sleep(0.002)
        return False

    def close_all(self) -> None:
        with self.condition:
            boxes = [box for spares in self.ready.values() for box in spares]
            boxes += [box for kept in self.recycled.values() for box in kept]
            self.ready, self.recycled, self.wanted = {}, {}, None
        for box in boxes:
            box.close()


def _reap(boxes: queue.SimpleQueue[Box]) -> None:
    while True:
        boxes.get().close()


SPARES = Spares()
atexit.register(SPARES.close_all)
REAPER: queue.SimpleQueue[Box] = queue.SimpleQueue()
threading.Thread(target=_reap, args=(REAPER,), name="judge-reaper", daemon=True).start()
