"""What each language needs inside the box: its toolchain, files, compile step and run command.

`build_plan` turns a submission into the plan the in-box supervisor executes (see
guest/supervisor.py); every path in a plan is a path inside the box.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sandbox.errors import SandboxUnavailable

LANGUAGES = ("python", "cpp", "javascript")
TYPES = ("int", "long", "double", "bool", "string")
CPP_TYPES = {
    "int": "int",
    "long": "long long",
    "double": "double",
    "bool": "bool",
    "string": "std::string",
}
MB = 1024 * 1024

# Per-test limits that are not part of a problem's definition.
FILE_BYTES = 16 * MB  # RLIMIT_FSIZE: the largest file a run may write
PROCESSES = 64  # RLIMIT_NPROC: processes and threads (node alone starts about a dozen threads)
OPEN_FILES = 64  # RLIMIT_NOFILE
PYTHON_STACK_BYTES = 64 * MB
CPP_STACK_BYTES = 64 * MB  # deep recursion works; every thread's stack is this big too
# Every thread's stack is RLIMIT_STACK big and node has a dozen threads: keep it at 8 MB and
# let V8 use most of the main thread's (its default --stack-size is under 1 MB).
NODE_STACK_BYTES = 8 * MB
NODE_STACK_KB = 7000
NODE_RESERVED_BYTES = 1280 * MB  # V8 reserves ~750 MB of address space before running anything
CPP_RUNTIME_BYTES = 16 * MB  # libc + libstdc++ mappings of a C++ program

# The compile step (g++): its own limits, well inside the host's deadline for it
# (judging.COMPILE_BUDGET_S), so a slow compile always ends as a compile error.
COMPILE_CPU_MS = 10_000
COMPILE_WALL_MS = 15_000
COMPILE_MEMORY = 1024 * MB  # the whole box while compiling
COMPILE_ADDRESS_SPACE = 2048 * MB
MAX_SOURCE_BYTES = 256 * 1024  # a longer source is a compile error without compiling


@dataclass(frozen=True)
class Toolchain:
    env_var: str
    default: str
    package: str


TOOLCHAINS = {
    "python": Toolchain("PEERLEARN_JUDGE_PYTHON", "/usr/bin/python3", "python3"),
    "cpp": Toolchain("PEERLEARN_JUDGE_GXX", "/usr/bin/g++", "g++"),
    "javascript": Toolchain("PEERLEARN_JUDGE_NODE", "/usr/bin/node", "nodejs"),
}


def toolchain_path(language: str) -> str:
    """The toolchain's path; it must live under /usr, the only tree the box sees."""
    toolchain = TOOLCHAINS[language]
    path = os.environ.get(toolchain.env_var, toolchain.default)
    real = os.path.realpath(path)
    if not (os.path.isfile(real) and os.access(real, os.X_OK)):
        raise SandboxUnavailable(
            f"{path} is missing: apt install {toolchain.package} (or set {toolchain.env_var})"
        )
    if not real.startswith("/usr/"):
        raise SandboxUnavailable(
            f"{toolchain.env_var}={path} resolves to {real}; the sandbox only exposes /usr, "
            f"so use a system {toolchain.package} (apt install {toolchain.package})"
        )
    return path


def camel_case(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def wall_ms(time_limit_ms: int) -> int:
    """Per-test wall clock: room for a busy machine, yet a sleeping program ends quickly."""
    return max(2 * time_limit_ms, time_limit_ms + 1000)


def check_type(type_name: str) -> None:
    if type_name.removesuffix("[]").removesuffix("[]") not in TYPES:
        raise ValueError(f"unknown type {type_name!r}; expected one of {TYPES} or T[] / T[][]")


def cpp_type(type_name: str) -> str:
    if type_name.endswith("[]"):
        return f"std::vector<{cpp_type(type_name[:-2])}>"
    return CPP_TYPES[type_name]


def cpp_function_source(code: str, signature: dict[str, Any]) -> str:
    """The user's function inside the harness, with a main() that calls it."""
    lines = [
        '#include "/judge/harness.hpp"',
        "using namespace std;",
        '#line 1 "solution.cpp"',
        code,
        '#line 1 "judge_main.cpp"',
        "int main() {",
        "    std::string peerlearn_json = peerlearn_judge::read_fd(3);",
        "    peerlearn_judge::Reader peerlearn_args(peerlearn_json);",
        "    peerlearn_args.expect('[');",
    ]
    names = []
    for index, param in enumerate(signature["params"]):
        if index:
            lines.append("    peerlearn_args.expect(',');")
        type_name = cpp_type(param["type"])
        lines.append(f"    {type_name} peerlearn_arg{index} = peerlearn_args.read<{type_name}>();")
        names.append(f"peerlearn_arg{index}")
    call = f"{camel_case(signature['name'])}({', '.join(names)})"
    lines += [
        "    peerlearn_args.expect(']');",
        f"    auto peerlearn_result = {call};",
        "    peerlearn_judge::write_result(peerlearn_result);",
        "    return 0;",
        "}",
    ]
    return "\n".join(lines) + "\n"


def run_limits(language: str, time_limit_ms: int, memory_mb: int, output_kb: int) -> dict:
    memory = memory_mb * MB
    address_space = {
        "python": memory,
        "cpp": memory + CPP_RUNTIME_BYTES,
        "javascript": memory + NODE_RESERVED_BYTES,
    }[language]
    stack = {"python": PYTHON_STACK_BYTES, "cpp": CPP_STACK_BYTES, "javascript": NODE_STACK_BYTES}
    return {
        "cpu_ms": time_limit_ms,
        "wall_ms": wall_ms(time_limit_ms),
        "memory_bytes": memory,
        "address_space_bytes": address_space,
        "address_space_on_top": language == "python",
        "stack_bytes": stack[language],
        "output_bytes": output_kb * 1024,
        "file_bytes": FILE_BYTES,
        "nproc": PROCESSES,
        "nofile": OPEN_FILES,
    }


def compile_limits() -> dict:
    return {
        "cpu_ms": COMPILE_CPU_MS,
        "wall_ms": COMPILE_WALL_MS,
        "memory_bytes": COMPILE_MEMORY,
        "address_space_bytes": COMPILE_ADDRESS_SPACE,
        "address_space_on_top": False,
        "stack_bytes": 0,
        "output_bytes": MB,
        "file_bytes": 64 * MB,
        "nproc": PROCESSES,
        "nofile": OPEN_FILES,
    }


def build_plan(
    language: str,
    code: str,
    kind: str,
    signature: dict[str, Any] | None,
    limits: dict,
) -> dict:
    """The supervisor's plan: files to write, the compile step and the per-test run."""
    tool = toolchain_path(language)
    if language == "python":
        run: dict[str, Any] = {"kind": "python", "mode": kind}
        if signature is not None:
            run["function"] = signature["name"]
            run["param_types"] = [param["type"] for param in signature["params"]]
        return {
            "files": {"solution.py": code},
            "compile": {"kind": "python"},
            "run": run,
            "limits": limits,
        }
    if language == "cpp":
        source = code if signature is None else cpp_function_source(code, signature)
        argv = [tool, "-O2", "-std=c++17", "-pipe", "-fdiagnostics-color=never"]
        return {
            "files": {"solution.cpp": source},
            "compile": {
                "kind": "exec",
                "argv": [*argv, "-o", "solution", "solution.cpp"],
                "keep": ["solution"],
                "limits": compile_limits(),
            },
            "run": {"kind": "exec", "argv": ["/work/solution"]},
            "limits": limits,
        }
    heap = f"--max-old-space-size={limits['memory_bytes'] // MB}"
    node = [tool, heap, f"--stack-size={NODE_STACK_KB}", "/judge/runner.js"]
    if signature is None:
        argv = [*node, "stdio", "solution.js"]
    else:
        argv = [*node, "function", "solution.js", camel_case(signature["name"])]
    return {
        "files": {"solution.js": code},
        # No `node --check` start: the runner compiles before running and reports a syntax
        # error on fd 5, which makes the whole submission a compile error (guest/runner.js).
        "compile": None,
        "run": {"kind": "exec", "argv": argv, "syntax_fd": True},
        "limits": limits,
    }
