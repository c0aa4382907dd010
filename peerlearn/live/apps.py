from __future__ import annotations

from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "peerlearn.live"
    label = "live"
    verbose_name = "Live session rooms"

    def ready(self) -> None:
        from . import datarights

        datarights.subscribe()
