"""One bubblewrap box per submission, and the JSON-lines conversation with its supervisor.

The box sees a read-only /usr (with the /bin, /lib* links of a merged-/usr system) and
/etc/ld.so.cache, a fresh /proc and minimal /dev (both read-only except the device nodes), a
64 MB tmpfs at /work (also /tmp), and the supervisor and harness files under /judge, copied in
through memfds. Nothing of the host's /etc, /home, /root, /tmp or the project is visible; the
box has no network, its own PID/IPC/UTS/cgroup/user namespaces and no capabilities. See
docs/judge.md for every flag.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from sandbox.errors import SandboxUnavailable

GUEST = Path(__file__).resolve().parent / "guest"
GUEST_FILES = ("supervisor.py", "harness.hpp", "runner.js")
WORK_BYTES = 64 * 1024 * 1024
NOBODY = 65534
STDERR_KEEP = 16 * 1024
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


class Box:
    """A running box. Use as a context manager: leaving it kills the box's whole process tree."""

    def __init__(self, python: str) -> None:
        data_fds = {name: _memfd(name, (GUEST / name).read_bytes()) for name in GUEST_FILES}
        bwrap = bwrap_path()
        try:
            self.process = subprocess.Popen(
                bwrap_argv(bwrap, python, data_fds),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=tuple(data_fds.values()),
                start_new_session=True,
                cwd="/",
                env={"PATH": "/usr/bin:/bin"},
                **_unprivileged(),
            )
        except OSError as error:
            raise SandboxUnavailable(f"cannot start {bwrap}: {error}") from error
        finally:
            for fd in data_fds.values():
                os.close(fd)
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self.stdin = self.process.stdin.fileno()
        self.stdout = self.process.stdout.fileno()
        self.stderr = self.process.stderr.fileno()
        for fd in (self.stdin, self.stdout, self.stderr):
            os.set_blocking(fd, False)
        self.pending = b""
        self.stderr_tail = b""
        self.timed_out = False

    def __enter__(self) -> Box:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        # bwrap leads its own process group; once it dies, --die-with-parent kills the box's
        # PID 1 and with it the PID namespace and everything in it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def request(self, message: dict[str, Any], deadline: float, max_reply: int) -> dict | None:
        """Send one message and wait for the reply line; None if the box died or time ran out."""
        outgoing = memoryview((json.dumps(message) + "\n").encode())
        with selectors.DefaultSelector() as selector:
            selector.register(self.stdout, selectors.EVENT_READ)
            selector.register(self.stderr, selectors.EVENT_READ)
            selector.register(self.stdin, selectors.EVENT_WRITE)
            while b"\n" not in self.pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.timed_out = True
                    return None
                for key, _ in selector.select(remaining):
                    fd = key.fd
                    if fd == self.stdin:
                        try:
                            outgoing = outgoing[os.write(fd, outgoing) :]
                        except BrokenPipeError:
                            return None
                        if not outgoing:
                            selector.unregister(fd)
                        continue
                    chunk = os.read(fd, 1 << 20)
                    if fd == self.stderr:
                        self.stderr_tail = (self.stderr_tail + chunk)[-STDERR_KEEP:]
                        if not chunk:
                            selector.unregister(fd)
                        continue
                    if not chunk:
                        return None
                    self.pending += chunk
                    if len(self.pending) > max_reply:
                        return None
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

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
