"""The on-disk problem format (docs/problems.md): read a problem folder, write one back, and
generate starter code from a function signature. No database access here; the services import
what this module reads."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.languages import camel_case, check_type, cpp_type

BANK_DIR = Path(__file__).resolve().parent / "bank"
LANGUAGE_FILES = {"python": "python.py", "cpp": "cpp.cpp", "javascript": "javascript.js"}
DIFFICULTIES = ("easy", "medium", "hard")
KINDS = ("function", "stdio")
COMPARES = ("exact", "unordered", "float")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class BankError(ValueError):
    """A problem folder does not follow the format; the message says which file and why."""


@dataclass
class ProblemSpec:
    slug: str
    title: str
    difficulty: str
    topics: list[str]
    kind: str
    statement: str
    time_limit_ms: int = 2000
    memory_limit_mb: int = 256
    compare: str = "exact"
    float_tolerance: float = 1e-6
    constraints: list[str] = field(default_factory=list)
    signature: dict[str, Any] | None = None
    editorial: str = ""
    starter_code: dict[str, str] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    hidden: list[dict[str, Any]] = field(default_factory=list)
    reference_solutions: dict[str, str] = field(default_factory=dict)


def function_name(signature: dict[str, Any], language: str) -> str:
    return signature["name"] if language == "python" else camel_case(signature["name"])


def _check_type(type_name: str) -> None:
    try:
        check_type(type_name)
    except ValueError as exc:
        raise BankError(str(exc)) from exc


_PY_TYPES = {"int": "int", "long": "int", "double": "float", "bool": "bool", "string": "str"}
_CPP_TYPES = {
    "int": "int",
    "long": "long long",
    "double": "double",
    "bool": "bool",
    "string": "string",
}
_JS_TYPES = {
    "int": "number",
    "long": "number",
    "double": "number",
    "bool": "boolean",
    "string": "string",
}


def _python_type(type_name: str) -> str:
    if type_name.endswith("[]"):
        return f"list[{_python_type(type_name[:-2])}]"
    return _PY_TYPES[type_name]


def _cpp_type(type_name: str) -> str:
    return cpp_type(type_name).replace("std::", "")  # `using namespace std;` is in scope


def _js_type(type_name: str) -> str:
    if type_name.endswith("[]"):
        return f"{_js_type(type_name[:-2])}[]"
    return _JS_TYPES[type_name]


def starter_from_signature(signature: dict[str, Any], language: str) -> str:
    """The empty function a user starts from, in the language's own conventions."""
    params = signature["params"]
    name = function_name(signature, language)
    if language == "python":
        args = ", ".join(f"{p['name']}: {_python_type(p['type'])}" for p in params)
        returns = _python_type(signature["returns"])
        return f"def {name}({args}) -> {returns}:\n    # Write your solution here.\n    pass\n"
    if language == "cpp":

        def cpp_param(param: dict[str, str]) -> str:
            cpp = _cpp_type(param["type"])
            return (
                f"{cpp}& {param['name']}"
                if param["type"].endswith("[]") or param["type"] == "string"
                else f"{cpp} {param['name']}"
            )

        args = ", ".join(cpp_param(p) for p in params)
        returns = _cpp_type(signature["returns"])
        return f"{returns} {name}({args}) {{\n    // Write your solution here.\n}}\n"
    docs = "".join(f" * @param {{{_js_type(p['type'])}}} {p['name']}\n" for p in params)
    args = ", ".join(p["name"] for p in params)
    returns = _js_type(signature["returns"])
    return (
        f"/**\n{docs} * @return {{{returns}}}\n */\n"
        f"function {name}({args}) {{\n    // Write your solution here.\n}}\n"
    )


def _read_json_tests(path: Path, kind: str) -> list[dict[str, Any]]:
    try:
        tests = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BankError(f"{path}: {exc}") from exc
    if not isinstance(tests, list):
        raise BankError(f"{path}: expected a JSON array of tests")
    key = "args" if kind == "function" else "input"
    for index, test in enumerate(tests):
        if not isinstance(test, dict) or key not in test or "expected" not in test:
            raise BankError(f"{path}: test {index} needs {key!r} and 'expected'")
        if kind == "stdio" and not (
            isinstance(test["input"], str) and isinstance(test["expected"], str)
        ):
            raise BankError(f"{path}: test {index}: stdio input and expected are strings")
    return tests


def read_problem(folder: Path) -> ProblemSpec:
    """Read and validate one problem folder."""
    slug = folder.name
    if not SLUG_RE.match(slug):
        raise BankError(f"{folder}: the folder name must be a slug (lowercase, digits, hyphens)")
    try:
        meta = tomllib.loads((folder / "problem.toml").read_text(encoding="utf-8"))
        statement = (folder / "statement.md").read_text(encoding="utf-8")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BankError(f"{folder}: {exc}") from exc
    for key in ("title", "difficulty", "topics", "kind"):
        if key not in meta:
            raise BankError(f"{folder}/problem.toml: {key!r} is required")
    if meta["difficulty"] not in DIFFICULTIES:
        raise BankError(f"{folder}/problem.toml: difficulty is one of {DIFFICULTIES}")
    if meta["kind"] not in KINDS:
        raise BankError(f"{folder}/problem.toml: kind is one of {KINDS}")
    compare = meta.get("compare", "exact")
    if compare not in COMPARES:
        raise BankError(f"{folder}/problem.toml: compare is one of {COMPARES}")
    signature = meta.get("function")
    if meta["kind"] == "function":
        if not signature or not {"name", "params", "returns"} <= signature.keys():
            raise BankError(f"{folder}/problem.toml: [function] needs name, params and returns")
        try:
            for param in signature["params"]:
                _check_type(param["type"])
            _check_type(signature["returns"])
        except BankError as exc:
            raise BankError(f"{folder}/problem.toml: {exc}") from exc
    spec = ProblemSpec(
        slug=slug,
        title=meta["title"],
        difficulty=meta["difficulty"],
        topics=list(meta["topics"]),
        kind=meta["kind"],
        statement=statement,
        time_limit_ms=int(meta.get("time_limit_ms", 2000)),
        memory_limit_mb=int(meta.get("memory_limit_mb", 256)),
        compare=compare,
        float_tolerance=float(meta.get("float_tolerance", 1e-6)),
        constraints=list(meta.get("constraints", [])),
        signature=signature if meta["kind"] == "function" else None,
        samples=_read_json_tests(folder / "tests" / "samples.json", meta["kind"]),
        hidden=_read_json_tests(folder / "tests" / "hidden.json", meta["kind"]),
    )
    editorial = folder / "editorial.md"
    if editorial.exists():
        spec.editorial = editorial.read_text(encoding="utf-8")
    for language, filename in LANGUAGE_FILES.items():
        starter = folder / "starter" / filename
        if starter.exists():
            spec.starter_code[language] = starter.read_text(encoding="utf-8")
        elif spec.signature is not None:
            spec.starter_code[language] = starter_from_signature(spec.signature, language)
        else:
            raise BankError(f"{folder}: stdio problems need starter/{filename}")
        solution = folder / "solutions" / filename
        if solution.exists():
            spec.reference_solutions[language] = solution.read_text(encoding="utf-8")
    if "python" not in spec.reference_solutions:
        raise BankError(f"{folder}: solutions/python.py is required")
    if not spec.hidden:
        raise BankError(f"{folder}: tests/hidden.json has no tests")
    return spec


def read_bank(directory: Path = BANK_DIR) -> list[ProblemSpec]:
    return [read_problem(folder) for folder in sorted(directory.iterdir()) if folder.is_dir()]


def write_problem(spec: ProblemSpec, directory: Path) -> Path:
    """Write ``spec`` as a folder under ``directory`` (the inverse of ``read_problem``)."""
    folder = directory / spec.slug
    (folder / "tests").mkdir(parents=True, exist_ok=True)
    lines = [
        f"title = {json.dumps(spec.title)}",
        f"difficulty = {json.dumps(spec.difficulty)}",
        f"topics = {json.dumps(spec.topics)}",
        f"kind = {json.dumps(spec.kind)}",
        f"time_limit_ms = {spec.time_limit_ms}",
        f"memory_limit_mb = {spec.memory_limit_mb}",
        f"compare = {json.dumps(spec.compare)}",
        f"float_tolerance = {spec.float_tolerance!r}",
        "constraints = [" + ", ".join(json.dumps(c) for c in spec.constraints) + "]",
    ]
    if spec.signature is not None:
        params = ", ".join(
            f"{{ name = {json.dumps(p['name'])}, type = {json.dumps(p['type'])} }}"
            for p in spec.signature["params"]
        )
        lines += [
            "",
            "[function]",
            f"name = {json.dumps(spec.signature['name'])}",
            f"params = [{params}]",
            f"returns = {json.dumps(spec.signature['returns'])}",
        ]
    (folder / "problem.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "statement.md").write_text(spec.statement, encoding="utf-8")
    if spec.editorial:
        (folder / "editorial.md").write_text(spec.editorial, encoding="utf-8")
    (folder / "tests" / "samples.json").write_text(
        json.dumps(spec.samples, indent=1), encoding="utf-8"
    )
    (folder / "tests" / "hidden.json").write_text(json.dumps(spec.hidden), encoding="utf-8")
    for sub, code_by_language in (
        ("starter", spec.starter_code),
        ("solutions", spec.reference_solutions),
    ):
        for language, code in code_by_language.items():
            (folder / sub).mkdir(exist_ok=True)
            (folder / sub / LANGUAGE_FILES[language]).write_text(code, encoding="utf-8")
    return folder
