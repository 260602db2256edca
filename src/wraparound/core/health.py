"""Health checks for /healthz."""

from django.db import DatabaseError, connection


def database_problem() -> str | None:
    """None when the database answers a query; otherwise what went wrong."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return str(exc)[:200]
    return None
