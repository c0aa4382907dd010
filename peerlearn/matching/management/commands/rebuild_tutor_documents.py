"""Rewrite every tutor's full-text search document (after bulk loads or catalogue renames)."""

from __future__ import annotations

from time import perf_counter
from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.matching.services import tutor_documents_rebuild


class Command(BaseCommand):
    help = "Rebuild the tutors' full-text search documents (matching.TutorDocument)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = perf_counter()
        written = tutor_documents_rebuild()
        self.stdout.write(f"{written} tutor documents written in {perf_counter() - started:.1f} s.")
