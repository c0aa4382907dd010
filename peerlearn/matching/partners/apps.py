from django.apps import AppConfig


class PracticePartnersConfig(AppConfig):
    name = "peerlearn.matching.partners"
    label = "matching_partners"
    verbose_name = "Practice partners"
