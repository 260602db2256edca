"""A small analytics store written straight to Parquet, so report figures can be checked
against numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from wraparound.analytics import store
from wraparound.analytics.schema import TABLES, TABLES_BY_NAME


def write_store(root: Path, tables: dict[str, list[dict[str, Any]]]) -> Path:
    """Write every table of the contract (missing ones empty; missing columns null) as the
    current snapshot under ``root``."""
    snapshot = root / "snapshots" / "20260101T000000000000Z"
    snapshot.mkdir(parents=True)
    for table in TABLES:
        rows = [tuple(row.get(c) for c in table.column_names) for row in tables.get(table.name, [])]
        store._write_table(table, rows, snapshot / f"{table.name}.parquet")
    store.build_database(snapshot)
    (root / "current.tmp").write_text(snapshot.name)
    os.replace(root / "current.tmp", root / "current")
    assert set(tables) <= set(TABLES_BY_NAME)
    return snapshot


def person(key: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "person_key": key,
        "network_id": 1,
        "area_code": "N1",
        "district_code": "D1",
        "age_band": "35-44",
        "sex": "female",
        "population_groups": [],
        "registered_on": dt.date(2024, 1, 1),
        "case_managed": False,
        "evaluation_opt_out": False,
    }
    row.update(values)
    return row
