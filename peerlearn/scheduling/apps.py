from __future__ import annotations

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "peerlearn.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from peerlearn.accounts.hooks import UserSuspended
        from peerlearn.common import hooks

        from . import datarights
        from .services import user_suspended

        hooks.subscribe(UserSuspended, user_suspended)
        datarights.subscribe()
