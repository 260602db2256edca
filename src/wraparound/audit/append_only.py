"""Database triggers that make the audit table append-only, on SQLite and PostgreSQL.

UPDATE, DELETE (and on PostgreSQL TRUNCATE) of audit rows fail in the database, whoever
asks. The only way round is ``audit_maintenance()``, a switch held by this process for its
own connection (used by the test suite's database flush); anyone with the rights to drop
a trigger could do more, which is why the hash chain exists too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditevent"
SQLITE_SWITCH = "wraparound_audit_maintenance"
_maintenance = threading.local()

SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON {TABLE}
        WHEN {SQLITE_SWITCH}() = 0
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON {TABLE}
        WHEN {SQLITE_SWITCH}() = 0
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]
POSTGRES_CREATE = [
    """CREATE OR REPLACE FUNCTION wraparound_audit_append_only() RETURNS trigger AS $$
    BEGIN
        IF current_setting('wraparound.audit_maintenance', true) = 'on' THEN
            RETURN COALESCE(NEW, OLD);
        END IF;
        RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP;
    END
    $$ LANGUAGE plpgsql""",
    f"""CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION wraparound_audit_append_only()""",
    f"""CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION wraparound_audit_append_only()""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS audit_event_append_only ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS wraparound_audit_append_only()",
]


def _maintenance_on() -> int:
    return 1 if getattr(_maintenance, "on", False) else 0


def register_sqlite_switch(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created: give each SQLite connection the function the triggers consult."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_SWITCH, 0, _maintenance_on)


def install(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for statement in SQLITE_CREATE if vendor == "sqlite" else POSTGRES_CREATE:
        schema_editor.execute(statement, params=None)


def uninstall(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for statement in SQLITE_DROP if vendor == "sqlite" else POSTGRES_DROP:
        schema_editor.execute(statement, params=None)


def installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE]
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [TABLE],
            )
        return {row[0] for row in cursor.fetchall()}


@contextmanager
def audit_maintenance() -> Iterator[None]:
    """Allow this process to delete audit rows for the duration (test database flushes)."""
    _maintenance.on = True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET wraparound.audit_maintenance = 'on'")
    try:
        yield
    finally:
        _maintenance.on = False
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("RESET wraparound.audit_maintenance")
