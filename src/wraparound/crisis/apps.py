from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "wraparound.crisis"
    label = "crisis"
