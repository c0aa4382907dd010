from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "peerlearn.forum"
    label = "forum"
    verbose_name = "Discussions"

    def ready(self) -> None:
        from . import datarights

        datarights.subscribe()
