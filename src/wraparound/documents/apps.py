from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "wraparound.documents"
    label = "documents"
