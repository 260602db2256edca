from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "wraparound.api"
    label = "api"
