"""Load (or update) problems from folders in the on-disk format (docs/problems.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peerlearn.practice.bank import BANK_DIR, BankError, read_bank, read_problem
from peerlearn.practice.services import problem_import


class Command(BaseCommand):
    help = "Import practice problems from a bank folder (default: the shipped bank)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", nargs="?", default=str(BANK_DIR))
        parser.add_argument(
            "--one", action="store_true", help="DIRECTORY is a single problem's folder"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder")
        try:
            specs = [read_problem(directory)] if options["one"] else read_bank(directory)
        except BankError as exc:
            raise CommandError(str(exc)) from exc
        created = 0
        for spec in specs:
            _, is_new = problem_import(spec)
            created += is_new
        self.stdout.write(
            f"Imported {len(specs)} problem(s): {created} new, {len(specs) - created} updated."
        )
