"""Queue a roster sync (NRPS) for every course whose platform shares its roster and whose last
sync is over an hour old (run it from a timer; launches also queue one when due)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerlearn.lti.models import Course
from peerlearn.lti.selectors import roster_sync_due
from peerlearn.lti.tasks import sync_roster


class Command(BaseCommand):
    help = "Queue roster syncs for LTI courses that are due."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = 0
        for course in Course.objects.exclude(context__memberships_url="").select_related("context"):
            if roster_sync_due(course):
                sync_roster.enqueue(course.pk)
                queued += 1
        self.stdout.write(f"Queued {queued} roster sync(s).")
