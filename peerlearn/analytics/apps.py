from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "peerlearn.analytics"
    label = "analytics"
    verbose_name = "Analytics: daily rollups, dashboards and exports"
