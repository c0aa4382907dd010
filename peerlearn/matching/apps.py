from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "peerlearn.matching"
    label = "matching"
    verbose_name = "Discovery and matching"

    def ready(self) -> None:
        from peerlearn.accounts.hooks import TutorProfileChanged
        from peerlearn.common import hooks

        from . import datarights
        from .services import tutor_profile_changed

        hooks.subscribe(TutorProfileChanged, tutor_profile_changed)
        datarights.subscribe()
