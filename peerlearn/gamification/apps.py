from django.apps import AppConfig


class GamificationConfig(AppConfig):
    name = "peerlearn.gamification"
    label = "gamification"
    verbose_name = "Points, badges and leaderboards"

    def ready(self) -> None:
        from . import datarights
        from .events import subscribe_all

        subscribe_all()
        datarights.subscribe()
