from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "peerlearn.practice"
    label = "practice"
    verbose_name = "Practice"
