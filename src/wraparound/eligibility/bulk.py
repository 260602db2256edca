"""Bulk screening: every person against every programme in one vectorised DuckDB query.

Facts go in as an Arrow table (one row per person, one column per fact); each programme's
rule becomes one SQL expression (``sql.py``); DuckDB evaluates them all column-wise, in
parallel, and writes who is eligible but not yet receiving the programme straight to Parquet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from wraparound.eligibility.engine import Parameters, Programme, Verdict
from wraparound.eligibility.facts import CelType, facts
from wraparound.eligibility.sql import quote_ident, sql_literal, to_sql

ARROW_TYPES = {
    CelType.INT: pa.int64(),
    CelType.DOUBLE: pa.float64(),
    CelType.STRING: pa.string(),
    CelType.BOOL: pa.bool_(),
    CelType.LIST_STRING: pa.list_(pa.string()),
    CelType.LIST_INT: pa.list_(pa.int64()),
    CelType.LIST_DOUBLE: pa.list_(pa.float64()),
}
FACTS_TABLE = "facts"


def arrow_schema() -> pa.Schema:
    fields = [pa.field("person_id", pa.int64())]
    fields += [pa.field(f.column, ARROW_TYPES[f.type]) for f in facts().values()]
    return pa.schema(fields)


def facts_table(rows: Iterable[tuple[int, Mapping[str, Any]]]) -> pa.Table:
    """(person id, facts) pairs as an Arrow table in the bulk engine's layout."""
    known = list(facts().values())
    columns: dict[str, list[Any]] = {"person_id": []}
    for fact in known:
        columns[fact.column] = []
    for person_id, values in rows:
        columns["person_id"].append(person_id)
        for fact in known:
            value = values.get(fact.name)
            if value is not None and fact.type in {CelType.LIST_STRING, CelType.LIST_INT}:
                value = sorted(value)
            columns[fact.column].append(value)
    return pa.table(columns, schema=arrow_schema())


def _column(ref: str) -> str:
    return "r_" + ref.replace("-", "_")


def verdict_query(programmes: Sequence[Programme], params: Parameters) -> str:
    columns = [
        f"{to_sql(p.rule.ast, params) if p.rule else 'TRUE'} AS {quote_ident(_column(p.ref))}"
        for p in programmes
    ]
    return f"SELECT person_id, {', '.join(columns)} FROM {FACTS_TABLE}"  # noqa: S608


def bulk_verdicts(
    table: pa.Table, programmes: Sequence[Programme], params: Parameters
) -> dict[int, list[Verdict]]:
    """Every person's verdict for every programme (in order): what the tests compare with
    the single engine. For output at scale use ``write_likely_eligible``."""
    con = duckdb.connect()
    con.register(FACTS_TABLE, table)
    result = con.sql(verdict_query(programmes, params)).fetchall()
    out: dict[int, list[Verdict]] = {}
    for row in result:
        out[int(row[0])] = [
            Verdict.UNKNOWN
            if value is None
            else (Verdict.ELIGIBLE if value else Verdict.NOT_ELIGIBLE)
            for value in row[1:]
        ]
    return out


def likely_eligible_query(programmes: Sequence[Programme], params: Parameters) -> str:
    """One row per (person, programme) where the rule is TRUE and the person does not already
    receive it (its reference is not among ``person.services_received``)."""
    received = quote_ident(facts()["person.services_received"].column)
    parts = []
    for p in programmes:
        condition = to_sql(p.rule.ast, params) if p.rule else "TRUE"
        ref = sql_literal(p.ref, CelType.STRING)
        kind = sql_literal(p.kind, CelType.STRING)
        name = sql_literal(p.name, CelType.STRING)
        columns = (
            f"person_id, {ref} AS programme_ref, {kind} AS programme_kind, "
            f"CAST({int(p.id)} AS BIGINT) AS programme_id, {name} AS programme_name"
        )
        where = f"({condition}) IS TRUE AND NOT coalesce(list_contains({received}, {ref}), FALSE)"
        parts.append(f"SELECT {columns} FROM {FACTS_TABLE} WHERE {where}")  # noqa: S608
    return " UNION ALL ".join(parts)


def write_likely_eligible(
    table: pa.Table,
    programmes: Sequence[Programme],
    params: Parameters,
    out: Path,
    *,
    threads: int | None = None,
) -> dict[str, int]:
    """Write the likely-eligible-not-receiving rows to Parquet; counts per programme ref."""
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.register(FACTS_TABLE, table)
    if not programmes:
        con.sql(
            "SELECT CAST(NULL AS BIGINT) AS person_id, '' AS programme_ref, "
            "'' AS programme_kind, CAST(NULL AS BIGINT) AS programme_id, "
            "'' AS programme_name WHERE FALSE"
        ).write_parquet(str(out))
        return {}
    query = likely_eligible_query(programmes, params)
    con.sql(query).write_parquet(str(out), compression="zstd")
    source = sql_literal(str(out), CelType.STRING)
    counts = con.sql(
        f"SELECT programme_ref, count(*) FROM read_parquet({source}) GROUP BY programme_ref"  # noqa: S608
    ).fetchall()
    found = {str(ref): int(n) for ref, n in counts}
    return {p.ref: found.get(p.ref, 0) for p in programmes}
