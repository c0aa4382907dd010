from django.apps import AppConfig


class GamificationConfig(AppConfig):
    name = "peerlearn.gamification"
    label = "gamification"
    verbose_name = "Points, badges and leaderboards"
