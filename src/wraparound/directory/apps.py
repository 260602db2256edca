from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "wraparound.directory"
    label = "directory"
