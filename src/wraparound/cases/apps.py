from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wraparound.cases"
    label = "cases"
