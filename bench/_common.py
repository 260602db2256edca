"""Helpers shared by the benchmarks in bench/ (files starting with "_" are not run by `make bench`).

What every benchmark needs:

- progress lines on stderr (``log``) and exactly one JSON object as the last line of stdout
  (``print_json_line``), which a parent process reads back with ``last_json_line``;
- timing and percentiles (``time_ms``, ``Stats``);
- a throw-away database: a temporary SQLite file (``temporary_sqlite_database``) or a fresh
  PostgreSQL database, dropped afterwards (``fresh_postgres_database``);
- Django configured against that database (``setup_django``, ``migrate``, ``analyze``). The
  settings read ``DATABASE_URL`` when they are imported, so one process serves one database:
  run each backend in its own child process (``run_child``);
- the exact SQL and parameters an ORM call sends (``capture_sql``), to replay on a raw cursor
  (``run_sql``) and to explain (``explain``).

PostgreSQL is reached through ``BENCH_POSTGRES_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``, trust auth): a maintenance database from which
benchmark databases are created and dropped.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
SRC_DIR = REPO_DIR / "src"

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
_STARTED = time.perf_counter()
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

SqlStatement = tuple[str, tuple[Any, ...]]
T = TypeVar("T")


# --- Output -------------------------------------------------------------------------------


def log(message: str) -> None:
    """A progress line on stderr, stamped with the seconds since the process started."""
    print(f"[{time.perf_counter() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def print_json_line(result: dict[str, Any]) -> None:
    """The benchmark's result: one JSON object on one line (keep it the last line of stdout)."""
    print(json.dumps(result, sort_keys=True, default=str), flush=True)


def last_json_line(text: str) -> dict[str, Any]:
    """The JSON object on the last non-empty line of a benchmark's output."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the benchmark printed nothing on stdout")
    value = json.loads(lines[-1])
    if not isinstance(value, dict):
        raise ValueError("the last line of the benchmark's output is not a JSON object")
    return value


def machine() -> dict[str, Any]:
    import sqlite3

    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "sqlite": sqlite3.sqlite_version,
    }


# --- Timing -------------------------------------------------------------------------------


def time_ms(fn: Callable[[], object]) -> float:
    """Wall-clock milliseconds taken by one call of ``fn``."""
    start = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - start) / 1e6


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (0-100) with linear interpolation, as numpy's default."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Stats:
    """Summary of a list of timings, in milliseconds."""

    n: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Stats:
        return cls(
            n=len(samples_ms),
            p50_ms=round(percentile(samples_ms, 50), 3),
            p95_ms=round(percentile(samples_ms, 95), 3),
            mean_ms=round(sum(samples_ms) / len(samples_ms), 3),
            min_ms=round(min(samples_ms), 3),
            max_ms=round(max(samples_ms), 3),
        )

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator > 0 else None


# --- Child processes ----------------------------------------------------------------------


def run_child(args: Sequence[str], *, timeout_s: float = 900) -> dict[str, Any]:
    """Run ``python <args>`` (stderr passes through) and return the JSON of its last line."""
    completed = subprocess.run(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with status {completed.returncode}")
    return last_json_line(completed.stdout)


# --- Databases ----------------------------------------------------------------------------


def _postgres_admin_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _connect_admin() -> Any:
    import psycopg

    url = _postgres_admin_url().replace("postgres://", "postgresql://", 1)
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def postgres_unavailable_reason() -> str | None:
    """Why PostgreSQL cannot be used for a benchmark, or None when it can."""
    try:
        with _connect_admin() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means "skip PostgreSQL", with the reason shown
        return f"PostgreSQL at {_postgres_admin_url()} is not reachable: {exc}"
    return None


@contextmanager
def fresh_postgres_database(name: str) -> Iterator[str]:
    """Create an empty PostgreSQL database (dropping a leftover one first), yield its URL, and
    drop it afterwards. Close Django's connections before leaving the block."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    with _connect_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(_postgres_admin_url(), name)
    finally:
        with _connect_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_sqlite_database(prefix: str = "bench-") -> Iterator[str]:
    """A SQLite database file in a temporary directory, removed afterwards; yields its URL."""
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"


def setup_django(database_url: str, *, var_dir: Path) -> None:
    """Configure Django (test mode, no DEBUG) against ``database_url`` and set it up.

    Call once per process, before anything imports the settings.
    """
    os.environ["WRAPAROUND_MODE"] = "test"
    os.environ["WRAPAROUND_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "wraparound.settings"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(SRC_DIR) not in sys.path:
        sys.path.insert(0, str(SRC_DIR))

    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def vendor() -> str:
    from django.db import connection

    return str(connection.vendor)


def analyze() -> None:
    """Gather planner statistics, as a database in service would have them. On PostgreSQL,
    VACUUM too: it sets the visibility map (index-only scans) and keeps autovacuum from
    waking up on the freshly loaded tables in the middle of the timings."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- SQL ----------------------------------------------------------------------------------


def capture_sql(fn: Callable[[], T]) -> tuple[T, list[SqlStatement]]:
    """What ``fn`` returns, and the exact statements and parameters it sent to the database."""
    from django.db import connection

    captured: list[SqlStatement] = []

    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        captured.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        result = fn()
    return result, captured


def run_sql(statements: Sequence[SqlStatement]) -> int:
    """Execute statements on a raw cursor and fetch every row; the number of rows fetched."""
    from django.db import connection

    rows = 0
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows


def explain(sql: str, params: Sequence[Any]) -> str:
    """The plan of one statement: SQLite's EXPLAIN QUERY PLAN as a tree, PostgreSQL's
    EXPLAIN (ANALYZE, BUFFERS) text."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            depth: dict[int, int] = {0: -1}
            lines = []
            for node_id, parent_id, _unused, detail in cursor.fetchall():
                depth[node_id] = depth.get(parent_id, -1) + 1
                lines.append(f"{'  ' * depth[node_id]}{detail}")
            return "\n".join(lines)
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
