from django.apps import AppConfig


class EnrolmentsConfig(AppConfig):
    name = "wraparound.enrolments"
    label = "enrolments"
