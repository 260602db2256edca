"""What a report hands to a page, a CSV and a test: tables (each downloadable), charts
(each drawn from one of the tables, with a text summary) and notes (definitions and
assumptions printed beside the figures)."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from wraparound.analytics.filters import Filters


@dataclass(frozen=True)
class Col:
    key: str
    heading: str
    numeric: bool = True


@dataclass
class ResultTable:
    code: str
    caption: str
    columns: list[Col]
    rows: list[dict[str, Any]]

    def cells(self) -> list[list[Any]]:
        return [[row.get(c.key) for c in self.columns] for row in self.rows]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.heading for c in self.columns])
        for row in self.cells():
            writer.writerow([_csv_value(v) for v in row])
        return out.getvalue()


def _csv_value(value: Any) -> Any:
    """Suppressed cells say so; a spreadsheet must not run text as a formula."""
    if value is None:
        return "suppressed"
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


# The design system's type and colours, so charts look like the pages they sit in.
CHART_CONFIG: dict[str, Any] = {
    "font": "arial, sans-serif",
    "axis": {"labelFontSize": 13, "titleFontSize": 14, "labelLimit": 260},
    "legend": {"labelFontSize": 13},
    "title": {"fontSize": 16, "anchor": "start"},
    "range": {"category": ["#1d70b8", "#d4351c", "#00703c", "#6f72af", "#f47738", "#505a5f"]},
}


@dataclass
class Chart:
    """A Vega-Lite chart, checked against the Vega-Lite schema by Altair and drawn as SVG
    on the server by vl-convert (no JavaScript in the page, works in print)."""

    title: str
    summary: str  # the text alternative: what the chart shows, in words
    table: str  # the code of the table it draws
    spec: dict[str, Any]

    def __post_init__(self) -> None:
        import altair

        self.spec = {"$schema": altair.SCHEMA_URL, "config": CHART_CONFIG, **self.spec}

    def validate(self) -> None:
        """Raise ``jsonschema.ValidationError`` naming what is wrong in the spec."""
        import altair

        altair.Root.from_dict(self.spec)

    def svg(self) -> str:
        import vl_convert

        self.validate()
        return str(vl_convert.vegalite_to_svg(self.spec))

    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg().encode()).decode()


@dataclass
class ReportResult:
    code: str
    title: str
    filters: Filters
    summary: list[str] = field(default_factory=list)
    tables: list[ResultTable] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, code: str) -> ResultTable:
        for table in self.tables:
            if table.code == code:
                return table
        raise KeyError(code)


@dataclass(frozen=True)
class Report:
    code: str
    title: str
    description: str
    build: Callable[[duckdb.DuckDBPyConnection, Filters], ReportResult]

    def run(self, db: duckdb.DuckDBPyConnection, filters: Filters) -> ReportResult:
        return self.build(db, filters)


def rows_of(db: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = db.execute(sql)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
