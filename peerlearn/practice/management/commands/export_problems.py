"""Write the database's problems out in the on-disk format (docs/problems.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from peerlearn.practice.bank import write_problem
from peerlearn.practice.models import Problem
from peerlearn.practice.services import problem_spec


class Command(BaseCommand):
    help = "Export practice problems to DIRECTORY, one folder per problem."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory")
        parser.add_argument("slugs", nargs="*", help="Only these problems")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        directory.mkdir(parents=True, exist_ok=True)
        problems = Problem.objects.order_by("slug")
        if options["slugs"]:
            problems = problems.filter(slug__in=options["slugs"])
        count = 0
        for problem in problems:
            write_problem(problem_spec(problem), directory)
            count += 1
        self.stdout.write(f"Exported {count} problem(s) to {directory}.")
