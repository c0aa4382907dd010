from __future__ import annotations

from django.apps import AppConfig


class LtiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "peerlearn.lti"
    label = "peerlearn_lti"  # "lti" would be confusable with django-lti's "lti_tool"
    verbose_name = "LMS integration (LTI 1.3)"

    def ready(self) -> None:
        from peerlearn.common import hooks
        from peerlearn.practice.hooks import SubmitJudged

        from .events import on_submit_judged

        hooks.subscribe(SubmitJudged, on_submit_judged)
