from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "peerlearn.matching"
    label = "matching"
    verbose_name = "Discovery and matching"
