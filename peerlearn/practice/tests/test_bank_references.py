"""The shipped bank, imported as `manage.py import_problems` does, with every reference
solution judged in the real sandbox on the samples and the hidden tests: each must be Accepted.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from peerlearn.practice.bank import BankError, read_bank
from peerlearn.practice.models import Problem, ProblemTestSet

from .factories import require_sandbox


def _references() -> list[tuple[str, str]]:
    """(slug, language) of every reference solution; a bank that does not read becomes one
    failing case (with the reason) instead of breaking the collection of the whole suite."""
    try:
        specs = read_bank()
    except BankError as exc:
        return [(f"unreadable bank: {exc}", "")]
    return [(s.slug, language) for s in specs for language in sorted(s.reference_solutions)]


REFERENCES = _references()


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("import_problems", verbosity=0)
        yield
        Problem.objects.all().delete()


@pytest.mark.django_db
@pytest.mark.parametrize(("slug", "language"), REFERENCES)
def test_every_reference_solution_is_accepted(imported, slug: str, language: str) -> None:
    require_sandbox()
    assert language, slug  # the bank did not read
    from sandbox import judge

    problem = Problem.objects.get(slug=slug)
    test_set = ProblemTestSet.objects.get(problem=problem)
    result = judge(
        language=language,
        code=test_set.reference_solutions[language],
        kind=problem.kind,
        signature=problem.signature,
        tests=[*problem.samples, *test_set.hidden],
        compare=problem.compare,
        float_tolerance=problem.float_tolerance,
        time_limit_ms=problem.time_limit_ms,
        memory_limit_mb=problem.memory_limit_mb,
    )
    failing = [
        (t["index"], t["verdict"], t.get("error", "")[-300:])
        for t in result["tests"]
        if t["verdict"] != "accepted"
    ]
    assert result["verdict"] == "accepted", (result.get("compile_output", "")[-500:], failing[:3])
    assert result["passed"] == len(problem.samples) + len(test_set.hidden)
