from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "wraparound.appointments"
    label = "appointments"
