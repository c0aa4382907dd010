"""Delete the accounts whose grace period is over and the data exports past their window."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.accounts.datarights import accounts_delete_due, data_exports_expire


class Command(BaseCommand):
    help = "Carry out due account deletions and delete expired data exports (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{accounts_delete_due()} account(s) deleted.")
        self.stdout.write(f"{data_exports_expire()} data export(s) expired.")
