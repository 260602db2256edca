from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "wraparound.eligibility"
    label = "eligibility"
