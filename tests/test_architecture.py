"""Layering as a contract (docs/architecture.md, "Layers between apps").

The contracts are in pyproject.toml (``[tool.importlinter]``); this runs ``lint-imports`` on
them, so ``make test`` and CI fail, with its report, when an app imports one above it, when
``common`` imports an app or when two apps import each other.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-logo", "--no-cache", "pyproject.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_app_has_a_layer() -> None:
    """A new app must be placed in the layers (else nothing constrains what it imports)."""
    apps = {
        f"peerlearn.{p.name}"
        for p in (ROOT / "peerlearn").iterdir()
        if (p / "__init__.py").exists()
    }
    (layers,) = [c for c in _config()["contracts"] if c["id"] == "layers"]
    placed = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    assert placed == apps
