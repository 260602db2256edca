from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "wraparound.assessments"
    label = "assessments"
    verbose_name = "Assessments and needs"
