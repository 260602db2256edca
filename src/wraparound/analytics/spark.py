"""The same report SQL on Spark, for a network that outgrows one machine (ADR 0017).

The store is plain Parquet, one file per table, so Spark reads it as it is: each file
becomes a temporary view ``raw_<table>``, the derived tables (``derived.py``) are views
with the same SQL, the views reports read are defined as on DuckDB, and
each query — written once, in DuckDB's dialect — is translated with sqlglot (the SQL
transpiler Splink also uses) with the day the report is for put in place of ``as_of()``.
``tests/analytics/test_spark.py`` checks that the outcomes agree on both engines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlglot

from wraparound.analytics.derived import DERIVED, with_prefix
from wraparound.analytics.filters import Filters, view_definitions
from wraparound.analytics.schema import TABLES


def to_spark(sql: str, *, as_of: dt.date) -> str:
    """A DuckDB query of the reports in Spark SQL, for the day ``as_of``."""
    fixed = sql.replace("as_of()", f"DATE '{as_of.isoformat()}'")
    return str(sqlglot.transpile(fixed, read="duckdb", write="spark")[0])


def register_snapshot(spark: Any, snapshot: Path, *, filters: Filters) -> None:
    """Every table of the snapshot as a Spark temporary view ``raw_<table>``, the derived
    tables likewise, then every view the reports read for ``filters`` (the same definitions
    as on DuckDB, ``filters.view_definitions``)."""
    as_of = filters.as_of
    for table in TABLES:
        spark.read.parquet(str(snapshot / f"{table.name}.parquet")).createOrReplaceTempView(
            f"raw_{table.name}"
        )
    for derived in DERIVED:
        sql = with_prefix(derived.sql, "raw_")
        spark.sql(to_spark(sql, as_of=as_of)).createOrReplaceTempView(f"raw_{derived.name}")
    for name, sql in view_definitions(filters).items():
        spark.sql(to_spark(sql, as_of=as_of)).createOrReplaceTempView(name)


def count_on_spark(spark: Any, sql: str, *, as_of: dt.date) -> tuple[int, int]:
    """An outcome's numerator and denominator computed by Spark."""
    row = spark.sql(to_spark(sql, as_of=as_of)).collect()[0]
    return int(row[0] or 0), int(row[1] or 0)
