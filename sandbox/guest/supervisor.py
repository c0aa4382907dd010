"""The in-sandbox supervisor: PID 1 of the bubblewrap box, run by the system's python3.

It is copied into the box read-only (bwrap --ro-bind-data) and talks to the host over its stdin
and stdout, one JSON object per line:

    box -> host   {"event": "ready"}                                              once started
    host -> box   {"files": ..., "compile": ..., "run": ..., "limits": ...}     the plan, once
    box -> host   {"event": "compiled", "ok": bool, "output": str}
    host -> box   {"stdin": str, "args": str | null}                              one per test
    box -> host   {"event": "result", "status": ..., "time_ms": ..., ...}         one per test
    host -> box   {"event": "recycle"}          (C++, JavaScript) then "ready" and a new plan

Each test runs in a forked child with its own rlimits (a Python submission runs in the forked
child itself, an already warm interpreter; C++ and JavaScript exec their program), its own
pipes for stdin, stdout, stderr, the function's arguments (fd 3) and its return value (fd 4).
Being PID 1 of the box's PID namespace, the supervisor cannot be killed from inside the box and
ends every test with kill(-1, SIGKILL), which takes every other process in the box with it.

Every test is measured against the whole box (BoxMeter): with a cgroup, through descriptors of
its counters the host passes in (CPU of every process, peak memory including shared memory,
memfds and the page cache the box creates, OOM kills); without one, by summing what every
process of the box holds. Before each test the work directory is rebuilt whatever its
permissions, and every SysV IPC object of the box's IPC namespace is removed.

Only the standard library of Python 3.11 is used: this file runs on Debian's /usr/bin/python3.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import fcntl
import gc
import importlib
import json
import marshal
import math
import os
import resource
import select
import signal
import socket
import stat
import sys
import time
import traceback

WORK = "/work"
# Imported before forking, so that a Python submission importing them pays nothing.
PRELOADED = (
    "bisect",
    "collections",
    "functools",
    "heapq",
    "itertools",
    "math",
    "operator",
    "random",
    "re",
    "string",
    "typing",
)
ARGS_FD = 3
RESULT_FD = 4
SYNTAX_FD = 5  # JavaScript: the runner's syntax error, written before the solution runs
CODE_FD = 6  # Python: the marshalled code object, read by the test before the submission runs
ZYGOTE_FD = 3  # the zygote's end of its socket with the supervisor, as it starts
ZYGOTE_TIMEOUT_S = 5.0  # it answers in microseconds; a stopped or dead one is replaced
WAIT_GONE = os.WEXITED | os.WSTOPPED | os.WNOHANG | os.WNOWAIT
COMPILE_OUTPUT_KEEP = 8192
POLL_INTERVAL_MS = 10
# Limits are checked every tenth of the CPU limit (10 to 100 ms): a short test costs no check at
# all, a long one ten a second. With a cgroup the kernel enforces the box's memory itself (a
# check only sees its OOM kills), and output is counted as it is read; the fallback meter,
# which nothing else enforces, checks every 5 ms.
CHECK_AT_LEAST_S = 0.01
CHECK_AT_MOST_S = 0.1
FALLBACK_CHECK_S = 0.005
CHUNK = 65536
STDERR_KEEP = 64 * 1024
STDERR_CAP = 1024 * 1024
MAX_FILES = 2000
TRACEBACK_FRAMES = 20  # the innermost ones; a 100 000-deep recursion is slow to format in full
PR_SET_DUMPABLE = 4
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
IPC_RMID = 0
FD_SCAN_EVERY = 5  # polls between two scans of every process's descriptors (fallback meter)
LIBC = ctypes.CDLL(None, use_errno=True)

# Substrings of a crashed program's stderr that mean it ran out of memory.
MEMORY_MARKERS = (
    "MemoryError",
    "std::bad_alloc",
    "heap out of memory",
    "Allocation failed",
    "Array buffer allocation failed",
)
# ... and that it wrote more than RLIMIT_FSIZE or the work directory holds (node ignores SIGXFSZ).
FILE_MARKERS = ("EFBIG", "File too large", "ENOSPC", "No space left on device")


class Capture:
    """Bytes read from one pipe: all of them up to `keep`, or only the last `keep` bytes."""

    def __init__(self, keep: int, tail: bool = False) -> None:
        self.keep = keep
        self.tail = tail
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.tail:
            self.data += chunk
            del self.data[: max(0, len(self.data) - self.keep)]
        elif len(self.data) < self.keep:
            self.data += chunk[: self.keep - len(self.data)]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------------
# The child side: runs between fork and exec (or, for Python, instead of exec).


def _install_fds(fds: dict[int, int]) -> None:
    """Make `fds` (target -> source) the child's only descriptors, nothing else."""
    # Above every target first, so no dup2 below overwrites a source still to be moved (and
    # within RLIMIT_NOFILE, which a recycled box's supervisor holds at a test's value).
    above = max(fds) + 1
    moved = {target: fcntl.fcntl(source, fcntl.F_DUPFD, above) for target, source in fds.items()}
    for target, source in moved.items():
        os.dup2(source, target)
    top = max(fds) + 1
    for fd in range(top):
        if fd not in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
    os.closerange(top, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def _set_limits(limits: dict[str, int]) -> None:
    rlimits = _rlimits(limits)
    if limits["address_space_on_top"]:
        # A Python submission runs in this forked interpreter: its own footprint comes on top.
        address_space = limits["address_space_bytes"] + _current_address_space()
        rlimits[resource.RLIMIT_AS] = (address_space, address_space)
    for which, value in rlimits.items():
        resource.setrlimit(which, value)


def _current_address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


SPAWN_DEFAULT_SIGNALS = (signal.SIGPIPE, signal.SIGINT, signal.SIGXFSZ, signal.SIGXCPU)


def _rlimits(limits: dict[str, int]) -> dict[int, tuple[int, int]]:
    """Every rlimit of a test process (address space without the forked interpreter's)."""
    soft_cpu = math.ceil(limits["cpu_ms"] / 1000) + 1
    values = {
        resource.RLIMIT_CPU: (soft_cpu, soft_cpu + 1),
        resource.RLIMIT_AS: (limits["address_space_bytes"], limits["address_space_bytes"]),
        resource.RLIMIT_NPROC: (limits["nproc"], limits["nproc"]),
        resource.RLIMIT_FSIZE: (limits["file_bytes"], limits["file_bytes"]),
        resource.RLIMIT_NOFILE: (limits["nofile"], limits["nofile"]),
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_MEMLOCK: (0, 0),
        resource.RLIMIT_MSGQUEUE: (0, 0),
    }
    if limits["stack_bytes"]:
        # The only limit that may be raised: never past the hard limit bwrap was started with.
        hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
        stack = (
            limits["stack_bytes"]
            if hard == resource.RLIM_INFINITY
            else min(hard, limits["stack_bytes"])
        )
        values[resource.RLIMIT_STACK] = (stack, stack)
    return values


# Limits of a spawned test (C++ and JavaScript) that the supervisor holds itself from the first
# test on (hard: it cannot raise them again, and it needs none of them higher), so that every
# program it spawns has them before it runs any instruction. The others (CPU time and address
# space, which grow in the supervisor across tests, and the file size: it writes the workspace)
# are set on the spawned process right after posix_spawn returns, while the dynamic loader
# starts the program: RLIMIT_CPU counts from the process's start whenever it is set, and the
# box's memory and files are bounded as a whole by the cgroup (or the fallback meter) anyway.
SELF_HELD = (
    resource.RLIMIT_NPROC,
    resource.RLIMIT_NOFILE,
    resource.RLIMIT_CORE,
    resource.RLIMIT_MEMLOCK,
    resource.RLIMIT_MSGQUEUE,
    resource.RLIMIT_STACK,
)


class Spawner:
    """Starts the tests of C++ and JavaScript with posix_spawn: no copy of this interpreter's
    page tables and no copy-on-write faults after it, as fork() costs (docs/judge.md)."""

    def __init__(self, run: dict, limits: dict[str, int]) -> None:
        rlimits = _rlimits(limits)
        for which in SELF_HELD:  # from now on this process holds them too
            if which in rlimits:
                resource.setrlimit(which, rlimits[which])
        self.after = [(which, value) for which, value in rlimits.items() if which not in SELF_HELD]
        self.argv = run["argv"]
        self.env = dict(os.environ)

    def spawn(self, fds: dict[int, int]) -> int:
        actions = [(os.POSIX_SPAWN_DUP2, source, target) for target, source in fds.items()]
        # The child is the box's first OOM victim from its first instruction on: it inherits
        # this score, which the supervisor takes back at once (to its own, at least -999).
        os.pwrite(OOM_SCORE.fd, b"1000", 0)
        try:
            pid = os.posix_spawn(
                self.argv[0],
                self.argv,
                self.env,
                file_actions=actions,
                setsigdef=SPAWN_DEFAULT_SIGNALS,
                setsigmask=(),
            )
        finally:
            os.pwrite(OOM_SCORE.fd, OOM_SCORE.own, 0)
        for which, value in self.after:
            with contextlib.suppress(ProcessLookupError):  # it ended already
                resource.prlimit(pid, which, value)
        return pid


class _OomScore:
    """/proc/self/oom_score_adj, kept open: the host set it (-999) before the box started."""

    def __init__(self) -> None:
        self.fd = -1
        self.own = b"0"

    def open(self) -> None:
        self.fd = os.open("/proc/self/oom_score_adj", os.O_RDWR | os.O_CLOEXEC)
        self.own = os.pread(self.fd, 16, 0).strip()


OOM_SCORE = _OomScore()


def _child(fds: dict[int, int], limits: dict[str, int], run: dict) -> None:
    """Never returns: execs the program or runs the Python submission, then exits."""
    exit_code = 126
    try:
        _install_fds(fds)
        LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # its own /proc/self again (exec would, too)
        with open("/proc/self/oom_score_adj", "w") as oom_score:
            oom_score.write("1000")  # the box's first victim, never the supervisor
        for sig in (signal.SIGPIPE, signal.SIGINT, signal.SIGXFSZ, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_DFL)
        _set_limits(limits)
        if run["kind"] == "python":
            exit_code = _run_python(run)
        else:
            os.execv(run["argv"][0], run["argv"])  # noqa: S606 - no shell, an argv list
    except BaseException:
        traceback.print_exc(file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):  # a closed or broken stream: nothing to say
            stream.flush()
    os._exit(exit_code)


def _fresh_stdio() -> None:
    sys.stdin = open(0, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115


def _to_type(value: object, type_name: str) -> object:
    if type_name.endswith("[]"):
        if not isinstance(value, list):
            raise TypeError(f"expected a list for {type_name}, got {value!r:.80}")
        return [_to_type(item, type_name[:-2]) for item in value]
    if type_name == "double" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _jsonable(value: object) -> object:
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"the return value contains a {type(value).__name__}, not JSON-serialisable")


def _run_python(run: dict) -> int:
    """Run the submission in this interpreter, forked by the zygote; returns the exit code."""
    _fresh_stdio()
    sys.argv = ["solution.py"]
    sys.path[0] = WORK
    sys.setrecursionlimit(100_000)
    namespace: dict[str, object] = {"__name__": "__main__", "__builtins__": __builtins__}
    with open(CODE_FD, "rb") as code_file:  # the supervisor sends it through its own pipe
        code = marshal.loads(code_file.read())  # noqa: S302 - the supervisor's compile()
    try:
        if run["mode"] == "stdio":
            exec(code, namespace)  # noqa: S102 - the whole point: run the submission
        else:
            with open(ARGS_FD, encoding="utf-8") as args_file:
                raw_args = json.load(args_file)
            exec(code, namespace)  # noqa: S102
            function = namespace.get(run["function"])
            if not callable(function):
                print(f"solution.py does not define a function {run['function']}", file=sys.stderr)
                return 1
            args = [_to_type(arg, t) for arg, t in zip(raw_args, run["param_types"], strict=True)]
            result = json.dumps(function(*args), default=_jsonable)
            sys.stdout.flush()
            with open(RESULT_FD, "w", encoding="utf-8") as result_file:
                result_file.write(result)
    except SystemExit as exit_request:
        sys.stdout.flush()
        if run["mode"] != "stdio":
            print("the function called exit() instead of returning", file=sys.stderr)
            return 1
        if exit_request.code is None or isinstance(exit_request.code, int):
            return exit_request.code or 0
        print(exit_request.code, file=sys.stderr)
        return 1
    except BaseException as error:
        # Skip this harness's own frame: the user sees their code's traceback only.
        frames = error.__traceback__.tb_next if error.__traceback__ else None
        traceback.print_exception(type(error), error, frames, limit=-TRACEBACK_FRAMES)
        return 1
    return 0


# ---------------------------------------------------------------------------------------------
# The supervisor side.


def _read_fd(fd: int) -> str:
    return os.pread(fd, 4096, 0).decode()


def _field(text: str, name: str) -> int:
    """`name value` lines (memory.events, memory.oom_control, cpu.stat)."""
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == name:
            return int(value)
    return 0


def _box_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and name != "1"]


def _proc_cpu_ticks(pid: int) -> int:
    """utime + stime + cutime + cstime of a live (or zombie) process of the box."""
    try:
        with open(f"/proc/{pid}/stat") as proc_stat:
            fields = proc_stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(field) for field in fields[11:15])


def _own_cpu_ns() -> int:
    return time.process_time_ns()  # precise; os.times() counts 10 ms clock ticks


def _reaped_cpu_ns() -> int:
    """CPU of every process of the box the supervisor (PID 1) reaped: all of them end here."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * 1e9)


def _pss_kb(pid: int) -> int:
    """Proportional anonymous and shared memory of a process: pages a fork shares with its
    parent (a Python test and the supervisor) count once in all, not once per process."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            text = rollup.read()
    except OSError:
        return 0
    total = 0
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("Pss_Anon", "Pss_Shmem"):
            total += int(value.split()[0])
    return total


def _sysv_shm_bytes(attached: bool) -> int:
    """SysV shared memory of the box's IPC namespace (only detached segments unless told)."""
    try:
        with open("/proc/sysvipc/shm") as table:
            lines = table.read().splitlines()[1:]
    except OSError:
        return 0
    total = 0
    for line in lines:
        fields = line.split()
        # key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap
        if len(fields) > 14 and (attached or fields[6] == "0"):
            total += int(fields[14])
    return total


def _memfd_bytes() -> int:
    """Memory held in memfds (and deleted tmpfs files) through open descriptors."""
    total = 0
    for pid in _box_pids():
        try:
            names = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for name in names:
            path = f"/proc/{pid}/fd/{name}"
            try:
                if os.readlink(path).startswith("/memfd:"):
                    total += os.stat(path).st_blocks * 512
            except OSError:
                continue
    return total


def _work_bytes() -> int:
    info = os.statvfs(WORK)
    return (info.f_blocks - info.f_bfree) * info.f_frsize


class BoxMeter:
    """CPU and memory of the whole box during one test (docs/judge.md, "Box-level limits").

    cgroup: the host's descriptors of the box's cgroup counters; the supervisor's own CPU is
    subtracted. fallback: every process of the box summed from /proc (CPU: user + system of
    each, with what it reaped, plus what PID 1 reaped; memory: anonymous and shared resident
    memory (PSS) of each and of PID 1, detached SysV segments, memfds, files in /work), polled
    by run_once.
    """

    def __init__(self, meter: dict) -> None:
        self.kind = meter["kind"]
        self.fds = {key: int(fd) for key, fd in meter["fds"].items()}
        self.cpu_start = self.own_start = self.zygote_start = 0
        self.memory_start = self.oom_start = 0
        self.fallback_peak = 0
        self.polls = 0
        self.memfds = 0

    def _box_cpu_ns(self) -> int:
        if self.kind == "cgroup1":
            return int(_read_fd(self.fds["cpu"]))
        if self.kind == "cgroup2":
            return _field(_read_fd(self.fds["cpu"]), "usage_usec") * 1000
        ticks = sum(_proc_cpu_ticks(pid) for pid in _box_pids())
        return ticks * 1_000_000_000 // CLOCK_TICKS + _reaped_cpu_ns()

    def _oom_kills(self) -> int:
        if self.kind == "fallback":
            return 0
        return _field(_read_fd(self.fds["events"]), "oom_kill")

    def _memory_now(self) -> int:
        if self.kind != "fallback":
            return int(_read_fd(self.fds["current"]).split()[0])
        total = sum(_pss_kb(pid) for pid in (os.getpid(), *_box_pids())) * 1024
        if self.polls % FD_SCAN_EVERY == 0:
            self.memfds = _memfd_bytes()
        return total + self.memfds + _sysv_shm_bytes(attached=False) + _work_bytes()

    def start(self) -> None:
        self.polls = 0
        self.memfds = 0
        if self.kind != "fallback":
            os.pwrite(self.fds["peak"], b"0", 0)  # the peak from now on
            self.memory_start = self._memory_now()
        else:
            self.memory_start = self._memory_now()
        self.oom_start = self._oom_kills()
        self.cpu_start = self._box_cpu_ns()
        self.own_start = _own_cpu_ns()
        self.zygote_start = ZYGOTE.cpu_ns
        self.fallback_peak = 0

    def cpu_ms(self) -> int:
        used = self._box_cpu_ns() - self.cpu_start
        if self.kind != "fallback":
            used -= _own_cpu_ns() - self.own_start
        used -= max(0, ZYGOTE.cpu_ns - self.zygote_start)  # its fork and wait, not the test's
        return max(0, used // 1_000_000)

    def memory_bytes(self) -> int:
        """The box's memory above what it held when the test began (the peak so far)."""
        if self.kind != "fallback":
            peak = int(_read_fd(self.fds["peak"]).split()[0])
            return max(0, peak - self.memory_start)
        self.polls += 1
        now = self._memory_now() - self.memory_start
        self.fallback_peak = max(self.fallback_peak, now)
        return self.fallback_peak

    def oom_killed(self) -> bool:
        return self._oom_kills() > self.oom_start


def _kill_everything() -> None:
    """Every process of the box but PID 1 and the zygote: the zygote's kill(-1) spares both.
    If the zygote does not answer, PID 1's own kill(-1) takes it too (a new one is started)."""
    if ZYGOTE.request({"op": "kill"}) is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(-1, signal.SIGKILL)
    ZYGOTE.forget()


def _children() -> set[int]:
    with open("/proc/1/task/1/children") as children:
        return {int(pid) for pid in children.read().split()}


def _reap_everything() -> None:
    """Reap every child of PID 1 (the orphans a test left, the C++ and JavaScript tests) until
    none but the zygote is left."""
    deadline = time.monotonic() + ZYGOTE_TIMEOUT_S
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no child at all
        if pid:
            if pid == ZYGOTE.pid:
                ZYGOTE.forget(reaped=True)
            continue
        if not _children() - {ZYGOTE.pid}:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("processes of the box outlived SIGKILL")
        time.sleep(0.0002)  # killed, not yet exited


# ---------------------------------------------------------------------------------------------
# The zygote: forks the Python tests.


class Zygote:
    """The supervisor's side of the zygote (docs/judge.md, "Zygote").

    A Python test runs in a forked, already warm interpreter. That interpreter is not the
    supervisor, which holds the submission's code, inputs and outputs (and, in a recycled box,
    those of earlier submissions), but the zygote: a second interpreter started from this file
    (`--zygote`) that imports what a test may need and then only forks, waits and kills on
    request. It never receives anything of a submission: the test's pipes come with the
    request (SCM_RIGHTS) and the code goes from the supervisor to the test through one of them.
    It is not PID 1, so a test can kill or stop it; then it stops answering, and the supervisor
    kills it and starts another.
    """

    def __init__(self) -> None:
        self.pid = 0
        self.socket: socket.socket | None = None
        self.cpu_ns = 0  # the zygote's own CPU, as of its last answer

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        # -S: no site module. Its imports and path hooks would make every fork of the zygote
        # dearer (a fork and exit costs half as much without them); a submission gets the
        # standard library only, whatever the host's dist-packages hold.
        argv = [sys.executable, "-I", "-S", "/judge/supervisor.py", "--zygote"]
        actions = [
            (os.POSIX_SPAWN_DUP2, null, 0),
            (os.POSIX_SPAWN_DUP2, null, 1),
            (os.POSIX_SPAWN_DUP2, theirs.fileno(), ZYGOTE_FD),
        ]
        try:
            self.pid = os.posix_spawn(argv[0], argv, dict(os.environ), file_actions=actions)
        finally:
            theirs.close()
            os.close(null)
        ours.settimeout(ZYGOTE_TIMEOUT_S)
        self.socket = ours
        if self._answer() is None:
            raise RuntimeError("the zygote did not start")

    def _answer(self) -> dict | None:
        assert self.socket is not None
        try:
            answer = json.loads(self.socket.recv(4096))
        except (OSError, ValueError):
            self.forget()
            return None
        self.cpu_ns = int(answer.get("cpu_ns", self.cpu_ns))
        return answer

    def request(self, message: dict, fds: list[int] | None = None) -> dict | None:
        """Its answer, or None when there is no zygote or it did not answer in time (then it
        is killed; the next fork starts another)."""
        if self.socket is None:
            return None
        try:  # a test stopped it (SIGSTOP: it would never answer) or killed it
            gone = os.waitid(os.P_PID, self.pid, WAIT_GONE) is not None
        except ChildProcessError:
            self.forget(reaped=True)
            return None
        if gone:
            self.forget()
            return None
        try:
            socket.send_fds(self.socket, [json.dumps(message).encode()], fds or [])
        except OSError:
            self.forget()
            return None
        return self._answer()

    def fork(self, fds: dict[int, int], limits: dict[str, int], run: dict) -> int:
        if self.socket is None:
            self.start()
        targets = list(fds)
        message = {"op": "fork", "targets": targets, "limits": limits, "run": run}
        answer = self.request(message, [fds[target] for target in targets])
        if answer is None or "pid" not in answer:
            raise RuntimeError(f"the zygote could not fork: {answer}")
        return int(answer["pid"])

    def wait(self, pid: int) -> int:
        """The exit status of a test the zygote forked, which has ended."""
        answer = self.request({"op": "wait", "pid": pid})
        if answer is not None:
            return int(answer["status"])
        try:  # the zygote is gone (killed, after a stop if need be): its test is PID 1's now
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return signal.SIGKILL

    def forget(self, reaped: bool = False) -> None:
        """The zygote is dead or useless: kill it, reap it, start another when needed."""
        if self.socket is not None:
            self.socket.close()
            self.socket = None
        if self.pid and not reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        self.pid = 0


ZYGOTE = Zygote()


def zygote_main() -> None:
    """The zygote's loop (see Zygote): fork a test, report a test's exit status, kill every
    process of the box but PID 1 and itself. It holds nothing of any submission."""
    with open("/proc/self/oom_score_adj", "w") as oom_score:
        oom_score.write("0")  # below its tests (1000), above the supervisor (-999)
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no test may ptrace it or read its memory
    for module in PRELOADED:
        importlib.import_module(module)
    for name in ("exit", "quit"):  # what the site module would have added
        setattr(builtins, name, sys.exit)
    ignored = [
        sig
        for sig in signal.valid_signals()
        if sig not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD)
        and signal.getsignal(sig) is not None
    ]
    for sig in ignored:  # a test may signal it (same user): nothing but KILL and STOP lands
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, signal.SIG_IGN)
    sys.setrecursionlimit(10_000)
    os.chdir(WORK)
    control_fd = fcntl.fcntl(ZYGOTE_FD, fcntl.F_DUPFD_CLOEXEC, 16)
    os.close(ZYGOTE_FD)
    control = socket.socket(fileno=control_fd)
    gc.freeze()  # a test's collector never touches (copies) these pages
    statuses: dict[int, int] = {}  # tests reaped by a kill before the supervisor asked

    def answer(**fields: object) -> None:
        control.send(json.dumps({**fields, "cpu_ns": time.process_time_ns()}).encode())

    answer(event="ready")
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 1 << 20, 16)
        except OSError:
            os._exit(0)
        if not data:
            os._exit(0)  # the supervisor is gone
        request = json.loads(data)
        if request["op"] == "fork":
            try:
                pid = os.fork()
            except OSError as error:
                for fd in fds:
                    os.close(fd)
                answer(error=str(error))
                continue
            if pid == 0:
                for sig in ignored:
                    with contextlib.suppress(OSError, ValueError):
                        signal.signal(sig, signal.SIG_DFL)
                test_fds = dict(zip(request["targets"], fds, strict=True))
                _child(test_fds, request["limits"], request["run"])
            for fd in fds:
                os.close(fd)
            answer(pid=pid)
        elif request["op"] == "wait":
            pid = request["pid"]
            if pid not in statuses:
                try:
                    statuses[pid] = os.waitpid(pid, 0)[1]
                except ChildProcessError:
                    statuses[pid] = signal.SIGKILL
            answer(status=statuses.pop(pid))
        elif request["op"] == "kill":
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)  # all but PID 1 and this process
            while True:
                try:
                    pid, status = os.waitpid(-1, 0)
                except ChildProcessError:
                    break
                statuses[pid] = status
            if len(statuses) > 1000:
                statuses.clear()  # never asked for: tests whose supervisor failed
            answer(done=True)


IPC_REMOVE = {
    "shm": lambda ident: LIBC.shmctl(ident, IPC_RMID, None),
    "msg": lambda ident: LIBC.msgctl(ident, IPC_RMID, None),
    "sem": lambda ident: LIBC.semctl(ident, 0, IPC_RMID),
}
IPC_TABLES: dict[str, int] = {}  # /proc/sysvipc/<table>, opened once


def _remove_ipc_objects() -> None:
    """Every SysV shared memory segment, message queue and semaphore set the test created."""
    if not IPC_TABLES:
        for table in IPC_REMOVE:
            with contextlib.suppress(OSError):
                IPC_TABLES[table] = os.open(f"/proc/sysvipc/{table}", os.O_RDONLY | os.O_CLOEXEC)
    for table, fd in IPC_TABLES.items():
        listing = os.pread(fd, 4096, 0)
        if listing.count(b"\n") < 2:
            continue  # the header alone: nothing to remove (the usual case)
        lines = b"".join(_pread_all(fd)).decode().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if len(fields) > 1:
                IPC_REMOVE[table](int(fields[1]))


def _pread_all(fd: int) -> list[bytes]:
    chunks, offset = [], 0
    while chunk := os.pread(fd, 65536, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return chunks


def run_once(
    run: dict,
    limits: dict[str, int],
    meter: BoxMeter,
    stdin: bytes,
    args: bytes | None,
    code: bytes | None = None,
    stderr_tail: bool = True,
    spawner: Spawner | None = None,
) -> dict:
    """Run one program to completion under `limits`; returns its outcome (see classify).

    With a `spawner` the program is started by posix_spawn; with `code` (a marshalled Python
    code object) the zygote forks the test, which reads the code from CODE_FD; else (a compile
    step) a forked child execs the compiler."""
    child_ends: dict[int, int] = {}
    parent_ends: dict[str, int] = {}
    pipes = {"stdin": 0, "stdout": 1, "stderr": 2}
    if args is not None:
        pipes.update(args=ARGS_FD, result=RESULT_FD)
    if run.get("syntax_fd"):
        pipes["syntax"] = SYNTAX_FD
    if code is not None:
        pipes["code"] = CODE_FD
    for name, target in pipes.items():
        read_end, write_end = os.pipe()
        if name in ("stdin", "args", "code"):
            child_ends[target], parent_ends[name] = read_end, write_end
        else:
            child_ends[target], parent_ends[name] = write_end, read_end
    meter.start()
    forked_by_zygote = code is not None
    try:
        if spawner is not None:
            pid = spawner.spawn(child_ends)
        elif forked_by_zygote:
            pid = ZYGOTE.fork(child_ends, limits, run)
        else:
            pid = os.fork()
            if pid == 0:
                _child(child_ends, limits, run)
    finally:
        for fd in child_ends.values():
            os.close(fd)
    pidfd = os.pidfd_open(pid)

    outgoing = {parent_ends["stdin"]: memoryview(stdin)}
    if args is not None:
        outgoing[parent_ends["args"]] = memoryview(args)
    if code is not None:
        outgoing[parent_ends["code"]] = memoryview(code)
    captures = {
        parent_ends["stdout"]: Capture(limits["output_bytes"]),
        parent_ends["stderr"]: Capture(STDERR_KEEP, tail=stderr_tail),
    }
    if args is not None:
        captures[parent_ends["result"]] = Capture(limits["output_bytes"])
    if "syntax" in parent_ends:
        captures[parent_ends["syntax"]] = Capture(COMPILE_OUTPUT_KEEP)
    poller = select.poll()
    for fd in outgoing:
        os.set_blocking(fd, False)
        poller.register(fd, select.POLLOUT)
    for fd in captures:
        poller.register(fd, select.POLLIN)
    poller.register(pidfd, select.POLLIN)

    counted = {parent_ends[name] for name in ("stdout", "result") if name in parent_ends}
    started = time.monotonic()
    if meter.kind == "fallback":
        interval = FALLBACK_CHECK_S
    else:
        interval = min(CHECK_AT_MOST_S, max(CHECK_AT_LEAST_S, limits["cpu_ms"] / 10_000))
    next_check = started + interval
    timeout_ms = math.ceil(interval * 1000)
    killed_for = ""
    status = None
    memory = 0
    open_fds = set(outgoing) | set(captures)
    while open_fds or status is None:
        for fd, _event in poller.poll(timeout_ms):
            if fd == pidfd:
                status = ZYGOTE.wait(pid) if forked_by_zygote else os.waitpid(pid, 0)[1]
                poller.unregister(pidfd)
                os.close(pidfd)
                _kill_everything()  # the test is over: nothing it started may linger
            elif fd in outgoing:
                data = outgoing[fd]
                try:
                    written = os.write(fd, data[:CHUNK])
                except (BrokenPipeError, BlockingIOError) as error:
                    written = 0 if isinstance(error, BlockingIOError) else len(data)
                outgoing[fd] = data = data[written:]
                if not data:
                    poller.unregister(fd)
                    os.close(fd)
                    open_fds.discard(fd)
            else:
                chunk = os.read(fd, CHUNK)
                if chunk:
                    captures[fd].add(chunk)
                    if not killed_for and _too_much_output(captures, counted, parent_ends, limits):
                        killed_for = "output_limit_exceeded"
                        _kill_everything()
                else:
                    poller.unregister(fd)
                    os.close(fd)
                    open_fds.discard(fd)
        if status is not None or killed_for:
            timeout_ms = POLL_INTERVAL_MS
            continue
        now = time.monotonic()
        if now < next_check:
            timeout_ms = math.ceil((next_check - now) * 1000)
            continue  # a burst of pipe events: the limits were checked a moment ago
        next_check = now + interval
        timeout_ms = math.ceil(interval * 1000)
        if meter.kind == "fallback":
            memory = meter.memory_bytes()
        if _files_in_work() > MAX_FILES:
            killed_for = "too_many_files"
        elif memory > limits["memory_bytes"] or meter.oom_killed():
            killed_for = "memory"  # the box passed its limit, even if not this process
        elif (time.monotonic() - started) * 1000 > limits["wall_ms"]:
            killed_for = "wall_time"
        elif meter.cpu_ms() > limits["cpu_ms"]:
            killed_for = "cpu_time"
        if killed_for:
            _kill_everything()
    _reap_everything()
    # Detached SysV segments are memory no process holds: free it before the supervisor needs
    # any, so a box left full can never make PID 1 the OOM killer's only choice.
    _remove_ipc_objects()
    assert status is not None
    produced = sum(c.total for fd, c in captures.items() if fd in counted)
    if produced > limits["output_bytes"]:
        killed_for = "output_limit_exceeded"  # it may have exited before the loop noticed
    memory = max(memory, meter.memory_bytes())
    if meter.oom_killed() and not killed_for:
        killed_for = "memory"
    outcome = {
        "status": status,
        "killed_for": killed_for,
        "time_ms": meter.cpu_ms(),
        "wall_ms": round((time.monotonic() - started) * 1000),
        "memory_kb": memory // 1024,
        "stdout": captures[parent_ends["stdout"]].data.decode("utf-8", errors="replace"),
        "stderr": captures[parent_ends["stderr"]].text(),
        "result": None,
    }
    if args is not None:
        outcome["result"] = captures[parent_ends["result"]].text()
    if "syntax" in parent_ends:
        outcome["syntax_error"] = captures[parent_ends["syntax"]].text()
    return outcome


def _too_much_output(
    captures: dict[int, Capture], counted: set[int], ends: dict[str, int], limits: dict[str, int]
) -> bool:
    produced = sum(capture.total for fd, capture in captures.items() if fd in counted)
    return produced > limits["output_bytes"] or captures[ends["stderr"]].total > STDERR_CAP


def _files_in_work() -> int:
    info = os.statvfs(WORK)
    return info.f_files - info.f_ffree


def classify(outcome: dict, limits: dict[str, int], expects_result: bool) -> tuple[str, str]:
    """(verdict, error message) of a finished run; the host turns "ok" into AC/WA/ran."""
    status, killed_for, stderr = outcome["status"], outcome["killed_for"], outcome["stderr"]
    last_lines = "\n".join(stderr.rstrip("\n").split("\n")[-20:])
    signal_number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    if killed_for == "output_limit_exceeded" or signal_number == signal.SIGXFSZ:
        return "output_limit_exceeded", ""
    if killed_for == "too_many_files":
        return "output_limit_exceeded", f"created more than {MAX_FILES} files"
    if killed_for == "memory":
        return "memory_limit_exceeded", last_lines
    if (
        killed_for in ("cpu_time", "wall_time")
        or outcome["time_ms"] > limits["cpu_ms"]
        or signal_number == signal.SIGXCPU
    ):
        # Over the limit, whatever CPU it got before the wall clock ended it.
        outcome["time_ms"] = max(outcome["time_ms"], limits["cpu_ms"])
        return "time_limit_exceeded", ""
    failed = signal_number != 0 or os.WEXITSTATUS(status) != 0
    if failed and any(marker in last_lines for marker in FILE_MARKERS):
        return "output_limit_exceeded", "wrote more than the files may hold"
    if failed and any(marker in last_lines for marker in MEMORY_MARKERS):
        return "memory_limit_exceeded", last_lines
    if signal_number and outcome["memory_kb"] * 1024 >= 0.9 * limits["memory_bytes"]:
        return "memory_limit_exceeded", last_lines
    if signal_number:
        name = signal.Signals(signal_number).name
        return "runtime_error", (last_lines + f"\nkilled by signal {name}").strip()
    if failed:
        code = os.WEXITSTATUS(status)
        return "runtime_error", (last_lines or f"exited with code {code}").strip()
    if expects_result and not outcome["result"]:
        return "runtime_error", (last_lines + "\nthe function did not return").strip()
    return "ok", ""


def wipe(top: str) -> None:
    """Remove everything under `top`, whatever the permissions, depth or length of its paths.

    Every process of the box is dead and all files are the box user's, so chmod always works;
    everything goes through directory descriptors (no path grows past PATH_MAX), at most two
    open at a time (the supervisor holds a test's RLIMIT_NOFILE), and a list of names (no
    recursion): a directory is left through its ".." once it is empty.
    """
    os.chmod(top, 0o755)  # noqa: S103 - /work itself, inside the box
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    current = os.open(top, flags)
    names: list[str] = []  # the path from `top` down to `current`
    try:
        while True:
            subdirectory = None
            with os.scandir(current) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        subdirectory = entry.name
                        break
                    os.unlink(entry.name, dir_fd=current)
            if subdirectory is not None:
                os.chmod(subdirectory, 0o700, dir_fd=current)
                child = os.open(subdirectory, flags, dir_fd=current)
                os.close(current)
                current = child
                names.append(subdirectory)
                continue
            if not names:
                return
            parent = os.open("..", flags, dir_fd=current)
            os.close(current)
            current = parent
            os.rmdir(names.pop(), dir_fd=current)
    finally:
        os.close(current)


class Workspace:
    """/work: the files of the plan plus what compilation produced, rebuilt before each run."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = {name: text.encode() for name, text in files.items()}
        self.built: dict[str, tuple[bytes, int]] = {}
        self.clean = False  # /work is empty: wiped right after the last test

    def keep(self, names: list[str]) -> None:
        for name in names:
            path = os.path.join(WORK, name)
            with open(path, "rb") as built:
                self.built[name] = (built.read(), stat.S_IMODE(os.stat(path).st_mode))

    def reset(self) -> None:
        if not self.clean:
            wipe(WORK)
        self.clean = False
        os.mkdir(os.path.join(WORK, "tmp"))
        for name, data in self.files.items():
            self._write(name, data, 0o644)
        for name, (data, mode) in self.built.items():
            self._write(name, data, mode)

    @staticmethod
    def _write(name: str, data: bytes, mode: int) -> None:
        fd = os.open(os.path.join(WORK, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with open(fd, "wb") as out:
            out.write(data)


class Channel:
    """JSON lines over the host's pipes (fd 0 in, fd 1 out), unbuffered."""

    def __init__(self) -> None:
        self.pending = b""

    def receive(self) -> dict | None:
        while b"\n" not in self.pending:
            chunk = os.read(0, 1 << 20)
            if not chunk:
                return None
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    @staticmethod
    def send(message: dict) -> None:
        data = memoryview((json.dumps(message) + "\n").encode())
        while data:
            data = data[os.write(1, data) :]


def compile_submission(
    plan: dict, workspace: Workspace, meter: BoxMeter
) -> tuple[bool, str, bytes | None]:
    """(ok, compiler output, the marshalled Python code object or None)."""
    step = plan["compile"]
    if step is None:
        return True, "", None
    if step["kind"] == "python":
        source = plan["files"]["solution.py"]
        try:
            code = compile(source, "solution.py", "exec", dont_inherit=True)
            return True, "", marshal.dumps(code)
        except (SyntaxError, ValueError) as error:
            return False, "".join(traceback.format_exception_only(type(error), error)), None
        except (RecursionError, MemoryError):
            return False, "solution.py is nested too deeply to compile", None
    workspace.reset()
    outcome = run_once(step, step["limits"], meter, b"", None, stderr_tail=False)
    verdict, _ = classify(outcome, step["limits"], expects_result=False)
    output = (outcome["stdout"] + outcome["stderr"]).strip()
    if verdict == "time_limit_exceeded":
        limit = step["limits"]["cpu_ms"] // 1000
        output = (output + f"\ncompilation took longer than {limit} s").strip()
    elif verdict == "memory_limit_exceeded":
        limit = step["limits"]["memory_bytes"] >> 20
        output = (output + f"\ncompilation needed more than {limit} MB").strip()
    elif verdict == "output_limit_exceeded":
        output = (output + "\ncompilation produced too much output").strip()
    if verdict != "ok":
        return False, output or f"compilation failed ({verdict})", None
    workspace.keep(step.get("keep", []))
    return True, output, None


def judge_one(test: dict, plan: dict, meter: BoxMeter, workspace: Workspace, code, spawner):
    """One test from a fresh work directory and IPC namespace state; its result message."""
    run, limits = plan["run"], plan["limits"]
    workspace.reset()  # SysV objects went right after the previous run (run_once)
    args = None if test["args"] is None else test["args"].encode()
    stdin = test["stdin"].encode()
    outcome = run_once(run, limits, meter, stdin, args, code, spawner=spawner)
    wipe(WORK)  # the test's files are memory of the box too: gone before anything else
    workspace.clean = True
    if outcome.get("syntax_error"):
        # Written by the runner before any of the user's code ran (guest/runner.js).
        return {"event": "result", "status": "compile_error", "output": outcome["syntax_error"]}
    verdict, error = classify(outcome, limits, expects_result=args is not None)
    return {
        "event": "result",
        "status": verdict,
        "error": error,
        "time_ms": outcome["time_ms"],
        "wall_ms": outcome["wall_ms"],
        "memory_kb": outcome["memory_kb"],
        "stdout": outcome["stdout"],
        "result": outcome["result"],
        "supervisor_cpu_us": _own_cpu_ns() // 1000,  # for bench/judge.py: the judge's own cost
    }


def _fault(event: str) -> dict:
    """A fault of the supervisor itself: the host logs it and judges the submission again."""
    _kill_everything()
    _reap_everything()
    return {"event": event, "status": "internal_error", "fault": traceback.format_exc()[-4000:]}


def _descriptor_hygiene() -> None:
    """No descriptor of the supervisor is inherited by a spawned program (they are all
    close-on-exec: the host's counters included), and fds 3-5 are taken, so a test's pipes
    are never numbered like the targets 0-5 they are moved to (Spawner)."""
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, gone now
            if int(name) > 2:
                os.set_inheritable(int(name), False)
    null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    for fd in range(3, 6):
        try:
            os.fstat(fd)
        except OSError:
            os.dup2(null, fd, inheritable=False)


def judge_plan(plan: dict, channel: Channel) -> bool:
    """Compile and judge one submission's tests as the host sends them. True when the host
    recycles the box for another submission of the same language, False when it closes it."""
    meter = BoxMeter(plan["meter"])
    workspace = Workspace(plan["files"])
    try:
        ok, output, code = compile_submission(plan, workspace, meter)
    except Exception:
        channel.send(_fault("compiled"))
        return False
    channel.send({"event": "compiled", "ok": ok, "output": output})
    spawner = None
    while (test := channel.receive()) is not None:
        if test.get("event") == "recycle":
            return True
        try:
            if not ok:
                raise RuntimeError("a test after a compile error")
            if spawner is None and plan["run"]["kind"] == "exec":
                spawner = Spawner(plan["run"], plan["limits"])
            reply = judge_one(test, plan, meter, workspace, code, spawner)
        except Exception:
            reply = _fault("result")
        channel.send(reply)
    return False


def recycle() -> None:
    """Nothing of the last submission stays in the box: its processes, files and SysV objects.
    No test ever sees this process's memory, which held it: C++ and JavaScript tests are
    exec()ed programs, Python tests are forked by the zygote (see Zygote)."""
    _kill_everything()
    _reap_everything()
    _remove_ipc_objects()
    wipe(WORK)


def main() -> None:
    OOM_SCORE.open()  # while /proc/self is still ours to open
    # Non-dumpable: no process in the box may open /proc/1/fd/* (the host's pipes) or ptrace us.
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _descriptor_hygiene()
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    sys.setrecursionlimit(10_000)
    os.chdir(WORK)
    ZYGOTE.start()  # before "ready": a spare box's zygote is warm when its submission comes
    channel = Channel()
    channel.send({"event": "ready"})
    while (plan := channel.receive()) is not None and judge_plan(plan, channel):
        try:
            recycle()
        except Exception:
            return  # the host sees the box end and starts a fresh one
        channel.send({"event": "ready"})


if __name__ == "__main__":
    zygote_main() if sys.argv[1:] == ["--zygote"] else main()
