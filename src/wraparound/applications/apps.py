from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "wraparound.applications"
    label = "applications"
