"""The on-disk problem format: reading, validating, importing and exporting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from peerlearn.practice import bank
from peerlearn.practice.models import Problem, ProblemTestSet

from .factories import ADD_SIGNATURE, make_add_problem

pytestmark = pytest.mark.django_db


def test_starter_code_follows_each_languages_conventions() -> None:
    assert bank.starter_from_signature(ADD_SIGNATURE, "python").startswith(
        "def add_numbers(a: int, b: int) -> int:"
    )
    assert bank.starter_from_signature(ADD_SIGNATURE, "cpp").startswith(
        "int addNumbers(int a, int b) {"
    )
    assert "function addNumbers(a, b) {" in bank.starter_from_signature(ADD_SIGNATURE, "javascript")
    grid = {
        "name": "count_islands",
        "params": [{"name": "grid", "type": "string[][]"}],
        "returns": "long[]",
    }
    assert (
        "vector<long long> countIslands(vector<vector<string>>& grid)"
        in bank.starter_from_signature(grid, "cpp")
    )
    assert "grid: list[list[str]]" in bank.starter_from_signature(grid, "python")


def test_export_then_import_round_trips_every_field(tmp_path: Path) -> None:
    original = make_add_problem()
    call_command("export_problems", str(tmp_path))
    folder = tmp_path / "add-two"
    assert (folder / "problem.toml").exists() and (folder / "solutions" / "python.py").exists()
    spec = bank.read_problem(folder)
    assert spec.signature == ADD_SIGNATURE
    assert spec.hidden == ProblemTestSet.objects.get(problem=original).hidden
    Problem.objects.all().delete()
    call_command("import_problems", str(tmp_path))
    again = Problem.objects.get(slug="add-two")
    assert again.title == original.title and again.samples == original.samples
    assert again.statement_html == original.statement_html
    assert list(again.topics.values_list("slug", flat=True)) == ["math"]
    assert again.hidden_test_count == 3


def test_import_updates_in_place(tmp_path: Path) -> None:
    make_add_problem()
    call_command("export_problems", str(tmp_path))
    toml = tmp_path / "add-two" / "problem.toml"
    toml.write_text(toml.read_text().replace('"Add two numbers"', '"Add two integers"'))
    call_command("import_problems", str(tmp_path))
    assert Problem.objects.get().title == "Add two integers"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: (f / "statement.md").unlink(), "statement.md"),
        (lambda f: (f / "tests" / "hidden.json").write_text("{}"), "JSON array"),
        (lambda f: (f / "tests" / "hidden.json").write_text('[{"args": [1]}]'), "'expected'"),
        (lambda f: (f / "solutions" / "python.py").unlink(), "python.py is required"),
        (
            lambda f: (f / "problem.toml").write_text(
                (f / "problem.toml").read_text().replace('"easy"', '"trivial"')
            ),
            "difficulty",
        ),
        (
            lambda f: (f / "problem.toml").write_text(
                (f / "problem.toml").read_text().replace('"int"', '"integer"', 1)
            ),
            "unknown type",
        ),
    ],
)
def test_a_broken_folder_is_refused_with_the_reason(tmp_path: Path, mutate, message: str) -> None:
    make_add_problem()
    call_command("export_problems", str(tmp_path))
    mutate(tmp_path / "add-two")
    with pytest.raises(CommandError, match=message):
        call_command("import_problems", str(tmp_path))


def test_the_shipped_bank_is_large_and_varied_enough() -> None:
    specs = bank.read_bank()
    assert len(specs) >= 40
    by_difficulty = {d: sum(s.difficulty == d for s in specs) for d in bank.DIFFICULTIES}
    assert all(count >= 5 for count in by_difficulty.values()), by_difficulty
    topics = {t for s in specs for t in s.topics}
    for topic in (
        "arrays",
        "strings",
        "hashing",
        "two-pointers",
        "stacks",
        "binary-search",
        "linked-lists",
        "trees",
        "graphs",
        "heaps",
        "intervals",
        "greedy",
        "dynamic-programming",
        "math",
    ):
        assert topic in topics, topic
    assert all(len(s.hidden) >= 10 for s in specs), [s.slug for s in specs if len(s.hidden) < 10]
    polyglot = [s for s in specs if {"cpp", "javascript"} <= s.reference_solutions.keys()]
    assert len(polyglot) >= 15
    assert {s.kind for s in specs} == {"function", "stdio"}
    for spec in specs:
        size = sum(p.stat().st_size for p in (bank.BANK_DIR / spec.slug / "tests").iterdir())
        assert size < 4 * 1024 * 1024, spec.slug
        json.dumps(spec.samples)  # samples are plain JSON
