"""The judge's costs: a sandboxed run, the per-test overhead, submissions per second.

Run: .venv/bin/python bench/judge.py [--runs 15] [--tests 100] [--submissions 16]

Baselines, measured in the same run:

(a) per language, a trivial submission (one test) judged in the sandbox against its bare
    run outside it: `/usr/bin/python3 -c pass`, `node -e 0`, and for C++ `g++` of the same
    generated source plus running it: ratio of the medians. "warm": a spare box was ready
    (the judge keeps one started ahead: the normal case for a worker between submissions);
    "cold": PEERLEARN_JUDGE_SPARE=0, bwrap and the supervisor start inside judge().
(b) per language, one submission with --tests tiny tests against the same submission with one
    test, per extra test: the wall time; the floor, what a fresh process per test costs in
    that language outside the box on this machine (Python: fork() and exit of the smallest
    interpreter, `python3 -I -S`; C++: starting the compiled program; JavaScript: `node -e 0`)
    and the wall time above it; the wall time minus the CPU time the solution itself reports
    (for node that includes its own start-up, so the "runtime" column shows it apart); and the
    judge's own CPU (the judging thread's plus the in-box supervisor's, which it reports with
    every result): on a busy machine the wall time mostly measures waiting for a core.
(c) per language, submissions per second through judge() with one worker and with two
    concurrent workers (processes, as deploy/prod.py runs them), for a trivial problem (one
    test) and a typical one (sort 10^4 numbers, 10 tests), each after an untimed warm-up (the
    steady state: the boxes a worker uses exist, the spares it asked for started); the ratio
    is two workers against one. Baselines: two CPU-bound processes against one (what the
    cores give, measured first), and per row the machine's CPU per submission with one worker
    (all processes, /proc/stat: the host, the supervisor, the zygote, the test, a box recycled
    or started meanwhile): two workers can at most keep both cores busy, so "bound" =
    2 / (CPU per submission × one worker's rate).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # bench/ first on the path would shadow the standard library's http

from sandbox import LANGUAGES, cgroups, judge, languages  # noqa: E402
from sandbox.box import SPARES, Box  # noqa: E402

IDENTITY = {"name": "identity", "params": [{"name": "n", "type": "int"}], "returns": "int"}
SORT = {"name": "sort_numbers", "params": [{"name": "nums", "type": "int[]"}], "returns": "int[]"}
CODE = {
    "identity": {
        "python": "def identity(n):\n    return n\n",
        "cpp": "int identity(int n) { return n; }\n",
        "javascript": "function identity(n) { return n; }\n",
    },
    "sort": {
        "python": "def sort_numbers(nums):\n    return sorted(nums)\n",
        "cpp": "vector<int> sortNumbers(vector<int> nums) {"
        " sort(nums.begin(), nums.end()); return nums; }\n",
        "javascript": "function sortNumbers(nums) { return nums.sort((a, b) => a - b); }\n",
    },
}


def trivial(language: str, tests: int = 1) -> dict[str, Any]:
    return {
        "language": language,
        "code": CODE["identity"][language],
        "kind": "function",
        "signature": IDENTITY,
        "tests": [{"args": [n], "expected": n} for n in range(tests)],
    }


def typical(language: str) -> dict[str, Any]:
    rng = random.Random(7)
    tests = []
    for _ in range(10):
        nums = [rng.randint(-(10**9), 10**9) for _ in range(10_000)]
        tests.append({"args": [nums], "expected": sorted(nums)})
    return {
        "language": language,
        "code": CODE["sort"][language],
        "kind": "function",
        "signature": SORT,
        "tests": tests,
    }


def timed_judge(arguments: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = judge(**arguments)
    elapsed = time.perf_counter() - started
    if result["verdict"] != "accepted":
        raise SystemExit(f"benchmark submission not accepted: {result}")
    return elapsed, result


def _median_ms(run: Any, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def bare_ms(language: str, runs: int, scratch: Path) -> float:
    """The language's own start outside the sandbox (C++: compiling and running)."""
    if language == "python":
        argv = [["/usr/bin/python3", "-c", "pass"]]
    elif language == "javascript":
        argv = [["/usr/bin/node", "-e", "0"]]
    else:
        source = scratch / "solution.cpp"
        plan = languages.build_plan("cpp", CODE["identity"]["cpp"], "function", IDENTITY, {})
        harness = (ROOT / "sandbox" / "guest" / "harness.hpp").read_text()
        text = plan["files"]["solution.cpp"].replace('#include "/judge/harness.hpp"', harness)
        source.write_text(text)
        compile_argv = [*plan["compile"]["argv"][:-3], "-o", str(scratch / "a.out"), str(source)]
        argv = [compile_argv, [str(scratch / "a.out")]]

    def run() -> None:
        for command in argv:
            subprocess.run(command, check=False, stdin=subprocess.DEVNULL, capture_output=True)

    return _median_ms(run, runs)


def boxed_ms(language: str, runs: int, warm: bool) -> float:
    python = languages.toolchain_path("python")
    samples = []
    for _ in range(runs):
        if warm and not SPARES.wait_ready(python, 5.0):
            raise SystemExit("no spare box became ready in 5 s")
        samples.append(timed_judge(trivial(language))[0])
    return statistics.median(samples) * 1000


class SupervisorCpu:
    """The supervisor's own CPU (it reports it with every result) in the boxes judged."""

    def __init__(self) -> None:
        self.last: dict[int, int] = {}
        self.request = Box.request

        def request(box: Box, message: Any, deadline: float, max_reply: int) -> Any:
            reply = self.request(box, message, deadline, max_reply)
            if reply is not None and "supervisor_cpu_us" in reply:
                self.last[id(box)] = int(reply["supervisor_cpu_us"])
            return reply

        Box.request = request  # type: ignore[method-assign,assignment]

    def judged(self, arguments: dict[str, Any]) -> tuple[float, float, dict[str, Any]]:
        """(wall s, judge CPU s: this thread's plus the supervisor's, result)."""
        self.last.clear()
        thread_cpu = time.thread_time()
        wall, result = timed_judge(arguments)
        own = time.thread_time() - thread_cpu + sum(self.last.values()) / 1e6
        return wall, own, result


def per_test_overhead_ms(
    language: str, tests: int, runs: int, meter: SupervisorCpu
) -> tuple[float, float, float, float]:
    """Per extra test: (wall ms, wall ms minus the solution's own CPU, the judge's own CPU ms:
    host thread + supervisor, the solution's CPU ms)."""
    walls, overheads, judge_cpu, runtimes = [], [], [], []
    for _ in range(max(1, runs // 3)):
        one_wall, one_cpu, one = meter.judged(trivial(language, 1))
        many_wall, many_cpu, many = meter.judged(trivial(language, tests))
        own = sum(test["time_ms"] for test in many["tests"]) - one["tests"][0]["time_ms"]
        extra_tests = tests - 1
        walls.append((many_wall - one_wall) * 1000 / extra_tests)
        overheads.append(((many_wall - one_wall) * 1000 - own) / extra_tests)
        judge_cpu.append((many_cpu - one_cpu) * 1000 / extra_tests)
        runtimes.append(own / extra_tests)
    return (
        statistics.median(walls),
        statistics.median(overheads),
        statistics.median(judge_cpu),
        statistics.median(runtimes),
    )


FORK_FLOOR = """
import os, sys, time
samples = []
for _ in range(int(sys.argv[1])):
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    samples.append(time.perf_counter() - started)
samples.sort()
print(samples[len(samples) // 2] * 1000)
"""


def per_test_floor_ms(language: str, runs: int, scratch: Path) -> float:
    """The least a fresh process per test costs in `language` on this machine, outside the
    box: fork() + exit of the smallest Python (`python3 -I -S`; a Python test runs in a forked
    interpreter), the start of the compiled C++ program, a bare `node -e 0`."""
    if language == "python":
        floor = subprocess.run(
            ["/usr/bin/python3", "-I", "-S", "-c", FORK_FLOOR, str(runs * 20)],
            check=True,
            capture_output=True,
            text=True,
        )
        return float(floor.stdout)
    argv = [str(scratch / "a.out")] if language == "cpp" else ["/usr/bin/node", "-e", "0"]
    return _median_ms(
        lambda: subprocess.run(argv, check=False, stdin=subprocess.DEVNULL, capture_output=True),
        runs,
    )


def busy_cpu_s() -> float:
    """CPU time the whole machine spent outside idle so far (/proc/stat, all cores)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


SETTLE_S = 1.0  # after a warm-up: the spare boxes it asked for have started (~0.2 s each)


def _worker_process(
    arguments: dict[str, Any], count: int, warm_up: int, start: Any, results: Any
) -> None:
    """One judge worker as production runs it (a process of its own: deploy/prod.py)."""
    for _ in range(warm_up):
        timed_judge(arguments)
    time.sleep(SETTLE_S)
    start.wait()
    busy, started = busy_cpu_s(), time.perf_counter()
    for _ in range(count):
        timed_judge(arguments)
    results.put((time.perf_counter() - started, busy_cpu_s() - busy))


def worker_processes_per_second(
    arguments: dict[str, Any], workers: int, count: int, warm_up: int
) -> tuple[float, float]:
    """`workers` processes judging `count` submissions each after an untimed warm-up, started
    together: (submissions per second in all, the machine's CPU seconds per submission)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # this process has threads: no fork
    start, results = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=_worker_process, args=(arguments, count, warm_up, start, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    elapsed = max(seconds for seconds, _ in outcomes)
    busy = max(cpu for _, cpu in outcomes)
    return workers * count / elapsed, busy / (workers * count)


def _spin(_: int) -> int:
    total = 0
    for number in range(6_000_000):
        total += number
    return total


def machine_scaling() -> float:
    """Two CPU-bound processes against one: what the cores themselves give (the ceiling)."""
    from concurrent.futures import ProcessPoolExecutor

    rates = []
    for workers in (1, 2):
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_spin, range(workers)))
            started = time.perf_counter()
            list(pool.map(_spin, range(4 * workers)))
            rates.append(4 * workers / (time.perf_counter() - started))
    return rates[1] / rates[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument("--submissions", type=int, default=16)
    args = parser.parse_args()
    began = time.perf_counter()
    scaling = machine_scaling()  # first: before any box exists or is being started
    for language in LANGUAGES:  # warm the page cache: compilers, interpreters, node
        timed_judge(trivial(language))

    print(cgroups.describe())
    print(f"load average at start {os.getloadavg()[0]:.1f} (2 cores)")
    print("(a) trivial submission, one test: judge() against the bare language start")
    header = ("bare ms", "warm ms", "ratio", "cold ms", "ratio")
    print(f"    {'language':11}" + "".join(f" {name:>8}" for name in header))
    with tempfile.TemporaryDirectory() as scratch:
        for language in LANGUAGES:
            bare = bare_ms(language, args.runs, Path(scratch))
            warm = boxed_ms(language, args.runs, warm=True)
            os.environ["PEERLEARN_JUDGE_SPARE"] = "0"
            cold = boxed_ms(language, args.runs, warm=False)
            del os.environ["PEERLEARN_JUDGE_SPARE"]
            print(
                f"    {language:11} {bare:8.1f} {warm:8.1f} {warm / bare:8.2f}"
                f" {cold:8.1f} {cold / bare:8.2f}"
            )

        print(f"(b) per-test overhead, {args.tests} tiny tests in one submission")
        columns = ("wall/test", "floor", "- floor", "- runtime", "judge CPU", "runtime")
        print(f"    {'language':11}" + "".join(f" {name:>9}" for name in columns) + "  ms/test")
        meter = SupervisorCpu()
        for language in LANGUAGES:
            wall, overhead, judge_cpu, runtime = per_test_overhead_ms(
                language, args.tests, args.runs, meter
            )
            floor = per_test_floor_ms(language, args.runs, Path(scratch))
            print(
                f"    {language:11} {wall:9.2f} {floor:9.2f} {wall - floor:9.2f}"
                f" {overhead:9.2f} {judge_cpu:9.2f} {runtime:9.2f}"
            )

    print(f"(c) submissions per second ({args.submissions} submissions each)")
    print(f"    machine: two CPU-bound processes against one {scaling:.2f}")
    header = ("1 worker", "2 workers", "ratio", "CPU/sub ms", "bound")
    print(f"    {'problem':8} {'language':11}" + "".join(f" {name:>10}" for name in header))
    for name, make in (("trivial", trivial), ("typical", typical)):
        for language in LANGUAGES:
            arguments = make(language)
            # Each timed run after an untimed one with as many workers: the boxes they use
            # exist (recycled), as in a worker that has been judging for a while.
            warm_up = max(4, args.submissions // 4)
            one, cpu = worker_processes_per_second(arguments, 1, args.submissions, warm_up)
            two, _ = worker_processes_per_second(arguments, 2, args.submissions, warm_up)
            # Two workers can at most keep both cores busy: 2 / CPU per submission.
            bound = min(2.0, 2 / cpu / one)
            print(
                f"    {name:8} {language:11} {one:10.2f} {two:10.2f} {two / one:10.2f}"
                f" {cpu * 1000:10.1f} {bound:10.2f}"
            )
    print(
        f"load average at end {os.getloadavg()[0]:.1f}; total {time.perf_counter() - began:.1f} s"
    )


if __name__ == "__main__":
    main()
