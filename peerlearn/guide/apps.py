from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "peerlearn.guide"
    label = "guide"
    verbose_name = "Guides"
