from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "peerlearn.practice"
    label = "practice"
    verbose_name = "Practice"

    def ready(self) -> None:
        from peerlearn.common.metrics import register_scrape_collector

        from . import datarights
        from .metrics import JudgeCollector

        register_scrape_collector(JudgeCollector)
        datarights.subscribe()
