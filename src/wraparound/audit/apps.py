from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "wraparound.audit"
    label = "audit"

    def ready(self) -> None:
        from wraparound.audit.append_only import register_sqlite_switch

        connection_created.connect(register_sqlite_switch, dispatch_uid="audit_sqlite_switch")
