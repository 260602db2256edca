from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "wraparound.flags"
    label = "flags"
