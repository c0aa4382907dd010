"""Announce every review revealed but not yet announced, and re-sum every tutor's stored rating
total (a sweep behind the scheduled task and the per-reveal refresh)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.reviews.services import rating_totals_rebuild, reviews_notify_revealed


class Command(BaseCommand):
    help = (
        "Tell subjects about reviews whose review window has closed, and re-sum the tutors' "
        "stored rating totals (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        told = reviews_notify_revealed()
        self.stdout.write(f"{told} subject(s) told about a revealed review.")
        summed = rating_totals_rebuild()
        self.stdout.write(f"{summed} tutor rating total(s) re-summed.")
