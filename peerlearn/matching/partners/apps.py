from django.apps import AppConfig


class PracticePartnersConfig(AppConfig):
    name = "peerlearn.matching.partners"
    label = "matching_partners"
    verbose_name = "Practice partners"

    def ready(self) -> None:
        from peerlearn.common import hooks
        from peerlearn.practice.hooks import SubmitJudged

        from . import datarights
        from .events import on_submit_judged

        hooks.subscribe(SubmitJudged, on_submit_judged)
        datarights.subscribe()
