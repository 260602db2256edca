from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "wraparound.linkage"
    label = "linkage"
