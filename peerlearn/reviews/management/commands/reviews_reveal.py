"""Announce every review revealed but not yet announced (a sweep behind the scheduled task)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.reviews.services import reviews_notify_revealed


class Command(BaseCommand):
    help = "Tell subjects about reviews whose review window has closed (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        told = reviews_notify_revealed()
        self.stdout.write(f"{told} subject(s) told about a revealed review.")
