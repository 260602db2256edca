from django.apps import AppConfig


class SatisfactionConfig(AppConfig):
    name = "wraparound.satisfaction"
    label = "satisfaction"
