from django.apps import AppConfig


class HelpRequestsConfig(AppConfig):
    name = "peerlearn.matching.help"
    label = "matching_help"
    verbose_name = "Help requests"

    def ready(self) -> None:
        from . import datarights

        datarights.subscribe()
