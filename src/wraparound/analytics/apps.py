from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "wraparound.analytics"
    label = "analytics"
