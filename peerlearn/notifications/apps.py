from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "peerlearn.notifications"
    label = "notifications"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the system checks
            datarights,
        )

        datarights.subscribe()
