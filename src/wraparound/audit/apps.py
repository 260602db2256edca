from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "wraparound.audit"
    label = "audit"
