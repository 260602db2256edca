from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "wraparound.consent"
    label = "consent"
