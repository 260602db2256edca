"""The analytics store: the operational data reports need, exported to Parquet (one file
per table of ``schema.TABLES``) and read with DuckDB, so reports never run heavy aggregates
on the live tables (ADR 0017).

A refresh writes a new snapshot directory and switches the ``current`` pointer to it only
when every table is complete (``os.replace`` is atomic): an interrupted refresh leaves the
previous store in use. People appear only as ``person_key``, a keyed hash of their id.

Two ways a table is written, both with memory bounded however large the network:

- the big, simple tables (``SqlExport``) are one SQL query built from a queryset (person
  ids, not keys; timestamps turned into local dates by the database), streamed to a CSV
  file (PostgreSQL's ``COPY ... TO STDOUT``; on SQLite, the rows fetched in chunks), then
  read by DuckDB, which joins in the person keys (computed once per person) and writes the
  Parquet file. No Python runs per row;
- tables that need Python logic (``people``, ``goals``, ``satisfaction``) are streamed
  from ``values_list(...).iterator()`` in chunks into Parquet row groups.

The Parquet files are the contract (the researcher export and Spark read them). Once they are
written, ``build_database`` loads them into one DuckDB database file in the snapshot, which
the dashboards read: DuckDB's own storage, people numbered rather than keyed (joins on a
number instead of a 32-character text) and the derived tables of ``derived.py``."""

from __future__ import annotations

import csv
import hashlib
import hmac
import importlib
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connections
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from wraparound.analytics.derived import DERIVED
from wraparound.analytics.schema import TABLES, Table

CHUNK = 50_000
KEEP_SNAPSHOTS = 2
ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "SMALLINT": pa.int16(),
    "DATE": pa.date32(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
    "VARCHAR[]": pa.list_(pa.string()),
}
AGE_BANDS = ((0, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 74))
# How the extract CSV files write null (an empty field is an empty string).
CSV_NULL = "\\N"
# DuckDB's share of the machine while it converts the extracts.
DUCKDB_MEMORY_LIMIT = "2GB"
# The snapshot's DuckDB database, which the dashboards read.
DATABASE = "store.duckdb"
# Tables stored in day order in the database, so that reading a part-month of them skips
# the rest (DuckDB keeps each block's minimum and maximum).
DAY_ORDER = {"service_events": '"on"'}


class StoreNotReady(Exception):
    """No snapshot has been written yet: run ``wraparound refresh_analytics``."""


def store_dir() -> Path:
    return Path(getattr(settings, "ANALYTICS_DIR", "") or settings.VAR_DIR / "analytics")


def _secret() -> bytes:
    configured = getattr(settings, "ANALYTICS_KEY_SECRET", "")
    return (configured or f"analytics:{settings.SECRET_KEY}").encode()


def person_key(person_id: int, secret: bytes | None = None) -> str:
    """Stable between refreshes, meaningless without the secret."""
    return hmac.new(secret or _secret(), str(person_id).encode(), hashlib.sha256).hexdigest()[:32]


def _keyer(secret: bytes) -> Callable[[int], str]:
    """``person_key`` with the secret's HMAC state computed once (a third faster per key)."""
    base = hmac.new(secret, digestmod=hashlib.sha256)

    def key(person_id: int) -> str:
        mac = base.copy()
        mac.update(str(person_id).encode())
        return mac.hexdigest()[:32]

    return key


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in table.columns])


def age_band(born: date | None, on: date) -> str | None:
    if born is None:
        return None
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}-{high}"
    return "75+"


def _local_date(field_path: str) -> TruncDate:
    """The local day of a timestamp (the network's time zone), computed by the database."""
    return TruncDate(field_path, tzinfo=timezone.get_current_timezone())


# --- What each table holds --------------------------------------------------------------

Rows = Iterator[tuple[Any, ...]]
RowsExport = Callable[[int | None, Callable[[int], str]], Iterable[tuple[Any, ...]]]


@dataclass(frozen=True)
class SqlExport:
    """A table extracted by one SQL query. ``rows(network_id)`` is a ``values_list``
    queryset giving the table's columns in the schema's order, with the person's id where
    the table has ``person_key`` (DuckDB joins the key in). Text columns named in
    ``empty_as_null`` carry null instead of ''. Unordered: the database scans the table
    as it lies (no sort of millions of rows), and row order is no part of the contract."""

    rows: Callable[[int | None], QuerySet[Any, Any]]
    empty_as_null: tuple[str, ...] = ()


def _people(network_id: int | None, key: Callable[[int], str]) -> Rows:
    from wraparound.cases.models import Case
    from wraparound.consent.models import Consent, Purpose
    from wraparound.people.models import Person, PersonPopulationGroup

    scope = Q(network_id=network_id) if network_id else Q()
    groups: dict[int, list[str]] = defaultdict(list)
    for person_id, group in PersonPopulationGroup.objects.filter(
        person__in=Person.objects.filter(scope)
    ).values_list("person_id", "group"):
        groups[person_id].append(group)
    cases: dict[int, dict[str, Any]] = {}
    for person_id, opened, keyed, stepped, closed, reason, lead in (
        Case.objects.filter(scope)
        .order_by("opened_on", "id")
        .values_list(
            "person_id",
            "opened_on",
            "key_worker_id",
            "stepped_down_on",
            "closed_on",
            "closure_reason",
            "lead_organisation_id",
        )
        .iterator(chunk_size=CHUNK)
    ):
        seen = cases.setdefault(person_id, {"opened": None})
        if keyed and seen["opened"] is None:
            seen["opened"] = opened
        seen.update(stepped=stepped or seen.get("stepped"), closed=closed, reason=reason, lead=lead)
    now = timezone.now()
    evaluation = Consent.objects.filter(scope, purpose=Purpose.EVALUATION)
    refused = set(evaluation.filter(withdrawal__isnull=False).values_list("person_id", flat=True))
    refused -= set(
        evaluation.active(now).filter(withdrawal__isnull=True).values_list("person_id", flat=True)
    )
    today = timezone.localdate()
    for pid, network, area, district, born, sex, registered in (
        Person.objects.filter(scope, merged_into__isnull=True)
        .order_by("id")
        .annotate(registered_on=_local_date("created_at"))
        .values_list(
            "id",
            "network_id",
            "area__code",
            "area__parent__code",
            "date_of_birth",
            "sex",
            "registered_on",
        )
        .iterator(chunk_size=CHUNK)
    ):
        case = cases.get(pid, {})
        yield (
            key(pid),
            network,
            area,
            district,
            age_band(born, today),
            sex,
            sorted(groups.get(pid, [])),
            registered,
            case.get("opened") is not None,
            case.get("opened"),
            case.get("stepped"),
            case.get("closed"),
            case.get("reason") or None,
            case.get("lead"),
            pid in refused,
        )


def _assessments(network_id: int | None) -> QuerySet[Any, Any]:
    from wraparound.assessments.models import Assessment, AssessmentStatus

    rows = Assessment.objects.filter(status=AssessmentStatus.COMPLETED)
    if network_id:
        rows = rows.filter(network_id=network_id)
    return (
        rows.order_by("id")
        .annotate(completed_on=_local_date("completed_at"))
        .values_list(
            "id",
            "person_id",
            "completed_on",
            "instrument_version__instrument__code",
            "tier",
            "organisation_id",
        )
    )


def _domain_scores(network_id: int | None) -> QuerySet[Any, Any]:
    from wraparound.assessments.models import AssessmentStatus, DomainScore

    rows = DomainScore.objects.filter(
        assessment__status=AssessmentStatus.COMPLETED, score__isnull=False
    )
    if network_id:
        rows = rows.filter(assessment__network_id=network_id)
    return (
        rows.order_by()
        .annotate(completed_on=_local_date("assessment__completed_at"))
        .values_list("assessment_id", "assessment__person_id", "completed_on", "domain", "score")
    )


def _needs(network_id: int | None) -> QuerySet[Any, Any]:
    from wraparound.assessments.models import AssessmentStatus, Need

    rows = Need.objects.filter(assessment__status=AssessmentStatus.COMPLETED)
    if network_id:
        rows = rows.filter(assessment__network_id=network_id)
    return (
        rows.order_by()
        .annotate(completed_on=_local_date("assessment__completed_at"))
        .values_list(
            "assessment_id",
            "person_id",
            "completed_on",
            "category",
            "severity",
            "priority_class",
            "position",
        )
    )


def _referrals(network_id: int | None) -> QuerySet[Any, Any]:
    from wraparound.referrals.models import Referral, ReferralStatus, ReferralTransition

    rows = Referral.objects.exclude(
        status__in=[ReferralStatus.DRAFT, ReferralStatus.ENTERED_IN_ERROR]
    )
    if network_id:
        rows = rows.filter(network_id=network_id)
    # The latest acceptance (a referral put on hold can be accepted again).
    accepted = ReferralTransition.objects.filter(
        referral=OuterRef("pk"), to_status=ReferralStatus.ACCEPTED
    ).order_by("-at", "-id")
    return (
        rows.order_by()
        .annotate(
            accepted_on_at=Subquery(accepted.values("at")[:1]),
            requested_day=_local_date("requested_at"),
            accepted_day=Subquery(accepted.annotate(day=_local_date("at")).values("day")[:1]),
            closed_day=_local_date("closed_at"),
        )
        .values_list(
            "id",
            "person_id",
            "service_id",
            "receiving_organisation_id",
            "referring_organisation_id",
            "need",
            "urgency",
            "status",
            "status_reason_code",
            "requested_at",
            "respond_by",
            "responded_at",
            "accepted_on_at",
            "first_contact_by",
            "first_contact_at",
            "closed_at",
            "requested_day",
            "accepted_day",
            "closed_day",
        )
    )


def _referral_transitions(network_id: int | None) -> QuerySet[Any, Any]:
    from wraparound.referrals.models import ReferralTransition

    rows = ReferralTransition.objects.all()
    if network_id:
        rows = rows.filter(referral__network_id=network_id)
    return (
        rows.order_by()
        .annotate(day=_local_date("at"))
        .values_list("referral_id", "from_status", "to_status", "side", "at", "reason_code", "day")
    )


def _enrolments(network_id: int | None) -> QuerySet[Any, Any]:
    from wraparound.enrolments.models import Enrolment

    rows = Enrolment.objects.all()
    if network_id:
        rows = rows.filter(network_id=network_id)
    return rows.order_by().values_list(
        "id",
        "person_id",
        "service_id",
        "organisation_id",
        "referral_id",
        "started_on",
        "ended_on",
        "end_reason",
    )


def _service_events(network_id: int | None) -> QuerySet[Any, Any]:
    from wraparound.enrolments.models import ServiceEvent

    rows = ServiceEvent.objects.all()
    if network_id:
        rows = rows.filter(enrolment__network_id=network_id)
    return rows.order_by().values_list(
        "id",
        "person_id",
        "enrolment_id",
        "service_id",
        "organisation_id",
        "on",
        "event_type",
        "mode",
        "units",
        "duration_minutes",
        "cost",
    )


def _crisis_events(network_id: int | None) -> QuerySet[Any, Any]:
    from wraparound.crisis.models import CrisisEvent

    rows = CrisisEvent.objects.all()
    if network_id:
        rows = rows.filter(network_id=network_id)
    return (
        rows.order_by()
        .annotate(occurred_on=_local_date("occurred_at"))
        .values_list("person_id", "kind", "occurred_on")
    )


def _satisfaction(network_id: int | None, key: Callable[[int], str]) -> Iterable[tuple[Any, ...]]:
    """The survey's answers, from ``satisfaction.selectors.analytics_rows(network_id, key)``
    (rows in the schema's column order) once the survey app provides it; empty until then."""
    try:
        selectors = importlib.import_module("wraparound.satisfaction.selectors")
    except ModuleNotFoundError as missing:
        if missing.name != "wraparound.satisfaction.selectors":
            raise
        return iter(())
    rows: RowsExport | None = getattr(selectors, "analytics_rows", None)
    return rows(network_id, key) if rows is not None else iter(())


def _goals(network_id: int | None, key: Callable[[int], str]) -> Rows:
    from django.db.models import Count, Max

    from wraparound.plans.models import CarePlanStatus, Goal

    rows = Goal.objects.filter(plan__status__in=[CarePlanStatus.AGREED, CarePlanStatus.SUPERSEDED])
    if network_id:
        rows = rows.filter(plan__person__network_id=network_id)
    rows = rows.annotate(
        actions_n=Count("actions"),
        open_n=Count("actions", filter=Q(actions__done_on__isnull=True)),
        last_done=Max("actions__done_on"),
    )
    for pid, need, agreed, target, actions_n, open_n, last_done in (
        rows.order_by()
        .values_list(
            "plan__person_id",
            "need_category",
            "plan__agreed_on",
            "target_on",
            "actions_n",
            "open_n",
            "last_done",
        )
        .iterator(chunk_size=CHUNK)
    ):
        achieved = last_done if actions_n and not open_n else None
        yield (key(pid), need, agreed, target, achieved)


EXPORTS: dict[str, RowsExport | SqlExport] = {
    "people": _people,
    "assessments": SqlExport(_assessments, empty_as_null=("tier",)),
    "domain_scores": SqlExport(_domain_scores),
    "needs": SqlExport(_needs),
    "referrals": SqlExport(_referrals, empty_as_null=("status_reason_code",)),
    "referral_transitions": SqlExport(_referral_transitions, empty_as_null=("reason_code",)),
    "enrolments": SqlExport(_enrolments, empty_as_null=("end_reason",)),
    "service_events": SqlExport(_service_events),
    "crisis_events": SqlExport(_crisis_events),
    "satisfaction": _satisfaction,
    "goals": _goals,
}


# --- Writing a snapshot -----------------------------------------------------------------


def _write_table(table: Table, rows: Iterable[tuple[Any, ...]], path: Path) -> int:
    schema = arrow_schema(table)
    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch: list[tuple[Any, ...]] = []

        def flush() -> None:
            columns: list[tuple[Any, ...]] = (
                list(zip(*batch, strict=True)) if batch else [() for _ in table.columns]
            )
            arrays = [
                pa.array(list(col), type=f.type) for col, f in zip(columns, schema, strict=True)
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))

        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                flush()
                count += len(batch)
                batch = []
        if batch or count == 0:
            flush()
            count += len(batch)
    return count


def _csv_text(value: Any) -> Any:
    """A value fetched from SQLite as the extract CSV writes it (PostgreSQL's COPY does the
    same by itself): null as ``CSV_NULL``, datetimes (stored in UTC) with their offset."""
    if value is None:
        return CSV_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return (value if timezone.is_aware(value) else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _extract_csv(rows: QuerySet[Any, Any], path: Path) -> None:
    """Run the queryset's SQL and write its rows to ``path`` as CSV, without ORM objects."""
    connection = connections[rows.db]
    sql, params = rows.query.sql_with_params()
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        raw = connection.connection
        # COPY takes no parameters: they are inlined, quoted by psycopg.
        statement = psycopg.ClientCursor(raw).mogrify(sql, params)
        copy_sql = f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, NULL '{CSV_NULL}')"
        with raw.cursor() as cursor, path.open("wb") as out, cursor.copy(copy_sql) as copy:
            for data in copy:
                out.write(data)
        return
    with connection.cursor() as cursor, path.open("w", encoding="utf-8", newline="") as out:
        cursor.execute(sql, params)
        writer = csv.writer(out, lineterminator="\n")
        while batch := cursor.fetchmany(CHUNK):
            writer.writerows([_csv_text(value) for value in row] for row in batch)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _extract_table(table: Table, export: SqlExport, network_id: int | None, path: Path) -> None:
    """The table's rows, as its query gives them, into the CSV file ``path``."""
    _extract_csv(export.rows(network_id), path)


def _convert_table(
    db: duckdb.DuckDBPyConnection, table: Table, export: SqlExport, extract: Path, path: Path
) -> int:
    """DuckDB reads an extract, joins the person keys in and writes the Parquet file with
    the schema's columns and types. Returns the rows written."""
    csv_columns = {
        ("person_id" if c.name == "person_key" else c.name): (
            "BIGINT" if c.name == "person_key" else c.type
        )
        for c in table.columns
    }
    selected = []
    for column in table.columns:
        name = f'"{column.name}"'
        if column.name == "person_key":
            selected.append("k.person_key")
        elif column.name in export.empty_as_null:
            selected.append(f"nullif(c.{name}, '') AS {name}")
        else:
            selected.append(f"c.{name}")
    types = ", ".join(f"{_quote(n)}: {_quote(t)}" for n, t in csv_columns.items())
    source = (
        f"read_csv({_quote(str(extract))}, header = false, auto_detect = false, "
        f"columns = {{{types}}}, delim = ',', quote = '\"', escape = '\"', "
        f"nullstr = {_quote(CSV_NULL)}, allow_quoted_nulls = false) c"
    )
    if "person_key" in table.column_names:
        source += " LEFT JOIN person_keys k ON k.person_id = c.person_id"
    written = db.execute(
        f"COPY (SELECT {', '.join(selected)} FROM {source}) "  # noqa: S608 (schema names)
        f"TO {_quote(str(path))} (FORMAT parquet, COMPRESSION zstd)"
    ).fetchone()
    return int(written[0]) if written else 0


def _person_keys(db: duckdb.DuckDBPyConnection, secret: bytes) -> None:
    """Every person's id and key, computed once per person, as DuckDB's ``person_keys``."""
    from wraparound.people.models import Person

    key = _keyer(secret)
    ids = list(Person.objects.order_by().values_list("id", flat=True).iterator(chunk_size=CHUNK))
    keys = pa.table(
        {
            "person_id": pa.array(ids, type=pa.int64()),
            "person_key": pa.array([key(pid) for pid in ids], type=pa.string()),
        }
    )
    db.register("person_keys_arrow", keys)
    db.execute("CREATE TABLE person_keys AS SELECT * FROM person_keys_arrow")
    db.unregister("person_keys_arrow")


def _convert_extracts(
    extracts: dict[str, tuple[Table, SqlExport, Path]], building: Path, secret: bytes
) -> dict[str, int]:
    """Turn every extract into its Parquet file (deleting it), with one DuckDB connection
    and one key map. The keys are computed after every extract is made, so that everyone
    an extract names (people are never deleted) has one."""
    rows: dict[str, int] = {}
    db = duckdb.connect(":memory:")
    try:
        db.execute(f"SET temp_directory = {_quote(str(building / '.duckdb-tmp'))}")
        db.execute(f"SET memory_limit = {_quote(DUCKDB_MEMORY_LIMIT)}")
        _person_keys(db, secret)
        for name, (table, export, extract) in extracts.items():
            rows[name] = _convert_table(db, table, export, extract, building / f"{name}.parquet")
            extract.unlink()
    finally:
        db.close()
        shutil.rmtree(building / ".duckdb-tmp", ignore_errors=True)
    return rows


def build_database(snapshot: Path) -> Path:
    """Load the snapshot's Parquet files into its DuckDB database (``DATABASE``), with the
    derived tables. In the database ``person_key`` is a number: the rank of the key among
    the snapshot's people (as pseudonymous as the key, and a faster join)."""
    path = snapshot / DATABASE
    building = snapshot / f"{DATABASE}.partial"
    building.unlink(missing_ok=True)
    db = duckdb.connect(str(building))
    try:
        db.execute(f"SET temp_directory = {_quote(str(snapshot / '.duckdb-tmp'))}")
        db.execute(f"SET memory_limit = {_quote(DUCKDB_MEMORY_LIMIT)}")

        def parquet(name: str) -> str:
            return f"read_parquet({_quote(str(snapshot / f'{name}.parquet'))})"

        keyed = [t for t in TABLES if "person_key" in t.column_names]
        db.execute(
            "CREATE TEMP TABLE person_numbers AS SELECT person_key, "  # noqa: S608 (own path)
            "CAST(row_number() OVER (ORDER BY person_key) AS INTEGER) AS person_no "
            f"FROM {parquet('people')} AS p"
        )
        for table in TABLES:
            columns = ", ".join(
                "n.person_no AS person_key" if c == "person_key" else f't."{c}"'
                for c in table.column_names
            )
            source = f"{parquet(table.name)} AS t"
            if table in keyed:
                # Rows only of people in ``people`` (merges move every row to the survivor,
                # so none is left out in practice): a cohort drawn from ``people`` then
                # covers every row, which lets an unfiltered report skip the cut.
                source += " JOIN person_numbers n ON n.person_key = t.person_key"
            order = f" ORDER BY t.{DAY_ORDER[table.name]}" if table.name in DAY_ORDER else ""
            db.execute(f"CREATE TABLE {table.name} AS SELECT {columns} FROM {source}{order}")  # noqa: S608
        for derived in DERIVED:
            order = f" ORDER BY {derived.order}" if derived.order else ""
            db.execute(
                f"CREATE TABLE {derived.name} AS SELECT * FROM ({derived.sql}) AS d{order}"  # noqa: S608
            )
        db.execute("CHECKPOINT")
    finally:
        db.close()
        shutil.rmtree(snapshot / ".duckdb-tmp", ignore_errors=True)
    os.replace(building, path)
    return path


@dataclass
class RefreshResult:
    snapshot: Path
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


POINTER = "current"


def refresh_store(*, network_id: int | None = None) -> RefreshResult:
    """Export every table into a new snapshot and make it current, atomically."""
    started = time.perf_counter()
    root = store_dir()
    snapshots = root / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    name = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    building = snapshots / f"{name}.partial"
    building.mkdir()
    secret = _secret()
    key = _keyer(secret)

    result = RefreshResult(snapshots / name)
    try:
        extracts: dict[str, tuple[Table, SqlExport, Path]] = {}
        for table in TABLES:
            export = EXPORTS[table.name]
            if isinstance(export, SqlExport):
                extract = building / f"{table.name}.csv"
                _extract_table(table, export, network_id, extract)
                extracts[table.name] = (table, export, extract)
            else:
                path = building / f"{table.name}.parquet"
                result.rows[table.name] = _write_table(table, export(network_id, key), path)
        if extracts:
            result.rows.update(_convert_extracts(extracts, building, secret))
        result.rows = {t.name: result.rows[t.name] for t in TABLES}
        build_database(building)
        building.rename(result.snapshot)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    pointer = root / f"{POINTER}.tmp"
    pointer.write_text(name, encoding="utf-8")
    os.replace(pointer, root / POINTER)
    _prune(snapshots, keep=name)
    result.seconds = time.perf_counter() - started
    return result


def _prune(snapshots: Path, *, keep: str) -> None:
    done = sorted(p for p in snapshots.iterdir() if p.is_dir() and not p.name.endswith(".partial"))
    for old in done[:-KEEP_SNAPSHOTS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def current_snapshot() -> Path:
    root = store_dir()
    pointer = root / POINTER
    if not pointer.exists():
        raise StoreNotReady(
            "The analytics store has no snapshot yet: run `wraparound refresh_analytics`."
        )
    snapshot = root / "snapshots" / pointer.read_text(encoding="utf-8").strip()
    if not snapshot.is_dir():
        raise StoreNotReady(
            f"The analytics snapshot {snapshot.name} is missing: refresh the store."
        )
    return snapshot


def open_store() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per table over the current snapshot."""
    snapshot = current_snapshot()
    connection = duckdb.connect(":memory:")
    for table in TABLES:
        path = str(snapshot / f"{table.name}.parquet").replace("'", "''")
        connection.execute(f"CREATE VIEW {table.name} AS SELECT * FROM read_parquet('{path}')")  # noqa: S608
    return connection
