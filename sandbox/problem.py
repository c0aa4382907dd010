"""Reading a problem folder (docs/problems.md) to judge its reference solutions."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXTENSIONS = {"python": "py", "cpp": "cpp", "javascript": "js"}


@dataclass(frozen=True)
class Problem:
    slug: str
    kind: str
    signature: dict[str, Any] | None
    tests: list[dict[str, Any]]
    compare: str
    float_tolerance: float
    time_limit_ms: int
    memory_limit_mb: int
    solutions: dict[str, Path]

    def judge_arguments(self) -> dict[str, Any]:
        """Everything judge() needs but the language and the code."""
        return {
            "kind": self.kind,
            "signature": self.signature,
            "tests": self.tests,
            "compare": self.compare,
            "float_tolerance": self.float_tolerance,
            "time_limit_ms": self.time_limit_ms,
            "memory_limit_mb": self.memory_limit_mb,
        }


def load_problem(folder: Path) -> Problem:
    """The problem in `folder`: samples then hidden tests, and its reference solutions."""
    meta = tomllib.loads((folder / "problem.toml").read_text(encoding="utf-8"))
    kind = meta.get("kind", "function")
    signature = None
    if kind == "function":
        function = meta["function"]
        signature = {
            "name": function["name"],
            "params": function["params"],
            "returns": function["returns"],
        }
    tests: list[dict[str, Any]] = []
    for name in ("samples.json", "hidden.json"):
        path = folder / "tests" / name
        if path.exists():
            tests += json.loads(path.read_text(encoding="utf-8"))
    solutions = {
        language: folder / "solutions" / f"{language}.{extension}"
        for language, extension in EXTENSIONS.items()
        if (folder / "solutions" / f"{language}.{extension}").exists()
    }
    return Problem(
        slug=folder.name,
        kind=kind,
        signature=signature,
        tests=tests,
        compare=meta.get("compare", "exact"),
        float_tolerance=float(meta.get("float_tolerance", 1e-6)),
        time_limit_ms=int(meta.get("time_limit_ms", 2000)),
        memory_limit_mb=int(meta.get("memory_limit_mb", 256)),
        solutions=solutions,
    )
