"""Import HSDS 3.0: JSON documents (service, organization, service_at_location, location,
taxonomy, taxonomy_term; single, list/page and tabular forms) and the CSV data package.

Everything read is flattened into table rows first, so both forms share one pipeline:

1. read and flatten (structure problems: a list that is not a list, an object without id);
2. validate each row (types, formats, enums, required fields) and, where the official
   schemas are on this machine, each JSON document against its official schema;
3. resolve references: a hard reference must point at a row of the file set or a record
   already in the directory (in the same network);
4. only if nothing failed: write, in one transaction, updating records by HSDS id.

Every problem is reported as (table, id, field, reason); none is written unless all pass.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from jsonschema import Draft202012Validator, FormatChecker

from wraparound.accounts.actor import Actor
from wraparound.audit.services import audit_record
from wraparound.core.models import Network
from wraparound.directory.hsds import official
from wraparound.directory.hsds.codec import ValueProblem, csv_cell, from_json
from wraparound.directory.hsds.tables import (
    DATE,
    DATETIME,
    EMAIL,
    IMPORT_ORDER,
    INTEGER,
    NUMBER,
    TABLE_BY_CSV,
    TABLES,
    TIME,
    URI,
    Ref,
    SoftRef,
    Table,
)
from wraparound.directory.models import (
    Location,
    Organisation,
    OrganisationKind,
    Program,
    Sector,
    Service,
    ServiceNeed,
)
from wraparound.directory.needs import NeedCategory, need_term_id

DOCUMENT_KINDS = (
    "service_at_location",
    "service",
    "organization",
    "taxonomy_term",
    "taxonomy",
    "location",
)
# The official compiled schema of a top-level document of each kind, where there is one.
OFFICIAL_DOCUMENT_SCHEMA = {
    "service": "compiled/service",
    "organization": "compiled/organization",
    "service_at_location": "compiled/service_at_location",
    "location": "location",
    "taxonomy": "taxonomy",
    "taxonomy_term": "taxonomy_term",
}


@dataclass(frozen=True)
class Problem:
    table: str
    id: str
    field: str
    reason: str
    source: str = ""

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        what = f"{self.table} {self.id or '(no id)'}"
        return f"{where}{what}: {self.field or '-'}: {self.reason}"


class ImportFailed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = dedupe(problems)
        super().__init__(f"{len(problems)} invalid record(s); nothing was imported")


def dedupe(problems: list[Problem]) -> list[Problem]:
    """Each problem once (a record repeated in several documents is reported once), and
    where both our rules and the official schema object to the same field, ours (plainer)."""
    ours = {(p.table, p.id, p.field) for p in problems if not p.reason.endswith("(HSDS schema)")}
    seen: set[tuple[str, str, str, str]] = set()
    result = []
    for p in problems:
        key = (p.table, p.id, p.field, p.reason)
        if key in seen:
            continue
        if p.reason.endswith("(HSDS schema)") and (p.table, p.id, p.field) in ours:
            continue
        seen.add(key)
        result.append(p)
    return result


@dataclass
class ImportResult:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        parts = []
        for table in IMPORT_ORDER:
            if self.created[table] or self.updated[table]:
                parts.append(f"{table}: {self.created[table]} new, {self.updated[table]} updated")
        return "; ".join(parts) or "nothing to import"


@dataclass
class FileSet:
    """The rows read from a set of files: table -> HSDS id -> (row, source)."""

    rows: dict[str, dict[str, tuple[dict[str, Any], str]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    problems: list[Problem] = field(default_factory=list)

    def problem(self, table: str, id_: Any, field_: str, reason: str, source: str) -> None:
        self.problems.append(
            Problem(table, "" if id_ is None else str(id_), field_, reason, source)
        )

    def add(self, table: Table, row: dict[str, Any], source: str) -> None:
        id_ = row["id"]
        existing = self.rows[table.name].get(id_)
        if existing is None:
            self.rows[table.name][id_] = (row, source)
            return
        merged = dict(existing[0])
        for key, value in row.items():
            if value is None:
                continue
            if merged.get(key) is not None and merged[key] != value:
                self.problem(
                    table.name,
                    id_,
                    key,
                    f"appears twice with different values ({merged[key]!r} and {value!r})",
                    source,
                )
                continue
            merged[key] = value
        self.rows[table.name][id_] = (merged, existing[1])


# --- reading ------------------------------------------------------------------------------


def read(path: Path, *, kind: str | None = None) -> FileSet:
    files = FileSet()
    if path.is_dir():
        paths = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".csv", ".json"))
        paths = [p for p in paths if p.name != "datapackage.json"]
        if not paths:
            files.problem("", "", "", f"no .csv or .json files in {path}", str(path))
    elif path.is_file():
        paths = [path]
    else:
        files.problem("", "", "", f"{path} does not exist", str(path))
        paths = []
    for file in paths:
        if file.suffix.lower() == ".csv":
            read_csv(files, file)
        else:
            read_json(files, file, kind=kind)
    return files


def read_csv(files: FileSet, file: Path) -> None:
    source = file.name
    table = TABLE_BY_CSV.get(file.name)
    if table is None:
        files.problem("", "", "", f"{file.name} is not an HSDS 3.0 table file", source)
        return
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        files.problem(table.name, "", "", "the file is not UTF-8 text", source)
        return
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    known = set(table.column_names)
    if "id" not in header:
        files.problem(table.name, "", "id", "the file has no id column", source)
        return
    for name in header:
        if name not in known:
            files.problem(table.name, "", name, "unknown column", source)
    kinds = _kinds(table)
    for number, record in enumerate(reader, start=2):
        row = {
            name: csv_cell(kinds.get(name, "string"), record.get(name) or "")
            for name in table.column_names
            if name in header
        }
        for name in table.required_strings:  # an empty required text cell is "", not absent
            if name in header and row.get(name) is None:
                row[name] = ""
        add_row(files, table, row, f"{source} line {number}")


def read_json(files: FileSet, file: Path, *, kind: str | None) -> None:
    source = file.name
    try:
        document = json.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        files.problem("", "", "", f"not valid JSON: {exc}", source)
        return
    read_document(files, document, source=source, kind=kind or kind_from_name(file.stem))


def read_document(files: FileSet, document: Any, *, source: str, kind: str | None) -> None:
    if isinstance(document, dict) and document and all(k.endswith(".csv") for k in document):
        for name, records in document.items():  # tabular JSON: {"services.csv": [rows]}
            table = TABLE_BY_CSV.get(name)
            if table is None or not isinstance(records, list):
                files.problem("", "", name, "not an HSDS 3.0 table (a list of rows)", source)
                continue
            for record in records:
                flatten(files, table, record, source, {}, top=False)
        return
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        items = document["contents"]
    elif isinstance(document, list):
        items = document
    else:
        items = [document]
    for item in items:
        item_kind = kind or kind_from_structure(item)
        if item_kind is None:
            files.problem(
                "",
                item.get("id") if isinstance(item, dict) else "",
                "",
                "cannot tell which HSDS document this is: name the file after its kind "
                "(service..., organization...) or pass --kind",
                source,
            )
            continue
        check_official(files, item_kind, item, source)
        flatten(files, TABLES[item_kind], item, source, {}, top=True)


def kind_from_name(stem: str) -> str | None:
    stem = stem.lower()
    for kind in DOCUMENT_KINDS:  # longest first where one name starts another
        if stem.startswith((kind, kind + "s")):
            return kind
    if stem.startswith("taxonomies"):
        return "taxonomy"
    return None


def kind_from_structure(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    keys = set(item)
    if "status" in keys:
        return "service"
    if keys & {"services", "website", "tax_status", "organization_identifiers", "programs"}:
        return "organization"
    if "location_type" in keys:
        return "location"
    if keys & {"service_id", "location_id", "location", "service"}:
        return "service_at_location"
    if keys & {"taxonomy_detail", "term_uri", "parent_id", "taxonomy_id", "code"}:
        return "taxonomy_term"
    return None


def check_official(files: FileSet, kind: str, item: Any, source: str) -> None:
    """Validate a whole document against the official schema (when available)."""
    validator = official.validator(OFFICIAL_DOCUMENT_SCHEMA[kind])
    if validator is None:
        return
    for error in validator.iter_errors(item):
        table, id_, field_ = locate(kind, item, list(error.absolute_path))
        if error.validator == "required" and isinstance(error.message, str):
            field_ = error.message.split("'")[1] if "'" in error.message else field_
        files.problem(table, id_, field_, f"{error.message} (HSDS schema)", source)


def locate(kind: str, item: Any, path: list[Any]) -> tuple[str, str, str]:
    """(table, id, field) of a JSON path inside a document of ``kind``."""
    table, node, field_ = TABLES[kind], item, ""
    owner_table, owner_id = table.name, _id_of(item)
    for step in path:
        if isinstance(step, str):
            nest = next((n for n in table.nests if n.key == step), None)
            if nest is not None:
                table = TABLES[nest.table]
                node = node.get(step) if isinstance(node, dict) else None
                if not nest.many and isinstance(node, dict):
                    owner_table, owner_id, field_ = table.name, _id_of(node), ""
                continue
            field_ = step
            break
        if isinstance(node, list) and 0 <= step < len(node):
            node = node[step]
            owner_table, owner_id, field_ = table.name, _id_of(node), ""
    return owner_table, owner_id, field_


def _id_of(node: Any) -> str:
    return str(node.get("id", "")) if isinstance(node, dict) else ""


def flatten(
    files: FileSet,
    table: Table,
    obj: Any,
    source: str,
    context: dict[str, Any],
    *,
    top: bool,
    defaults: dict[str, Any] | None = None,
) -> str | None:
    """Add ``obj`` and everything nested in it as rows; returns its id.

    ``context``: the reference to the record it is nested in (must agree if given);
    ``defaults``: references it inherits from its parent when it has none (a programme
    nested in a service is the service's organisation's).
    """
    if not isinstance(obj, dict):
        files.problem(table.name, "", "", f"must be an object, not {type(obj).__name__}", source)
        return None
    id_ = obj.get("id")
    if not isinstance(id_, str) or not id_:
        files.problem(table.name, "", "id", "every record needs an id (a UUID string)", source)
        return None
    row = {name: obj.get(name) for name in table.column_names if name in obj}
    for name, value in context.items():
        if row.get(name) is None:
            row[name] = value
        elif row[name] != value:
            files.problem(
                table.name,
                id_,
                name,
                f"is {row[name]!r} but the record is nested in {value!r}",
                source,
            )
    for name, value in (defaults or {}).items():
        if row.get(name) is None and value is not None:
            row[name] = value
    for nest in table.nests:
        value = obj.get(nest.key)
        if value is None or (nest.top_only and not top):
            continue
        child = TABLES[nest.table]
        if nest.many:
            if not isinstance(value, list):
                files.problem(table.name, id_, nest.key, "must be a list", source)
                continue
            for item in value:
                flatten(files, child, item, source, {nest.child_fk: id_}, top=False)
        else:
            inherited = {
                ref.name: row.get(ref.name) for ref in child.refs if ref.name != nest.parent_fk
            }
            child_id = flatten(files, child, value, source, {}, top=False, defaults=inherited)
            if child_id is None:
                continue
            if row.get(nest.parent_fk) is None:
                row[nest.parent_fk] = child_id
            elif row[nest.parent_fk] != child_id:
                files.problem(
                    table.name,
                    id_,
                    nest.parent_fk,
                    f"is {row[nest.parent_fk]!r} but the nested {nest.key} is {child_id!r}",
                    source,
                )
    add_row(files, table, row, source)
    return id_


def add_row(files: FileSet, table: Table, row: dict[str, Any], source: str) -> None:
    id_ = row.get("id")
    errors = sorted(row_validator(table.name).iter_errors(row), key=lambda e: list(e.path))
    for error in errors:
        if error.validator == "required":
            field_ = error.message.split("'")[1]
            reason = "is required"
        else:
            field_ = str(error.path[0]) if error.path else ""
            reason = error.message
        files.problem(table.name, id_, field_, reason, source)
    if errors or not isinstance(id_, str):
        return
    clean = {k: v for k, v in row.items() if v is not None}
    files.add(table, clean, source)


def _kinds(table: Table) -> dict[str, str]:
    kinds = {col.name: col.kind for col in table.columns}
    kinds.update({ref.name: "uuid" for ref in table.refs})
    kinds.update({soft.name: "uuid" for soft in table.soft_refs})
    kinds["id"] = "uuid"
    return kinds


@cache
def row_validator(table_name: str) -> Draft202012Validator:
    """Wraparound's own JSON Schema of one flat row of ``table_name`` (from tables.py)."""
    table = TABLES[table_name]
    properties: dict[str, Any] = {"id": {"type": "string", "format": "uuid"}}
    required = ["id"]
    for col in table.columns:
        schema: dict[str, Any]
        schema = {"type": "number"} if col.kind in (NUMBER, INTEGER) else {"type": "string"}
        if col.kind == EMAIL:
            schema["format"] = "email"
        if col.kind == URI:
            schema["format"] = "uri"
        if col.kind in (DATE, TIME, DATETIME):
            schema["format"] = {DATE: "date", TIME: "time", DATETIME: "date-time"}[col.kind]
        if col.enum:
            schema["enum"] = list(col.enum)
        properties[col.name] = schema
        if col.required:
            required.append(col.name)
    references: list[Ref | SoftRef] = [*table.refs, *table.soft_refs]
    for ref in references:
        properties[ref.name] = {"type": "string", "format": "uuid"}
        if ref.required:
            required.append(ref.name)
    # Absent values are simply left out, so nulls are allowed wherever a value is optional.
    for name, schema in properties.items():
        if name not in required:
            properties[name] = {"anyOf": [schema, {"type": "null"}]}
    return Draft202012Validator(
        {"type": "object", "properties": properties, "required": required},
        format_checker=_FORMATS,
    )


# Dates and times are checked by conversion (with a clearer message); uuid, email and uri
# here. (A "uri" must at least be absolute: scheme and rest.)
_FORMATS = FormatChecker(formats=["uuid", "email"])


@_FORMATS.checks("uri", raises=ValueError)
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    scheme, sep, rest = value.partition(":")
    if not (sep and rest and scheme[:1].isalpha()):
        raise ValueError(f"{value!r} is not an absolute URI")
    return True


@_FORMATS.checks("uuid", raises=ValueError)
def _is_uuid(value: object) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
    return True


# --- writing ------------------------------------------------------------------------------


def import_hsds(
    *,
    actor: Actor,
    path: Path,
    network: Network,
    kind: str | None = None,
) -> ImportResult:
    """Import a file or a folder of HSDS files into ``network``: all or nothing."""
    files = read(path, kind=kind)
    return import_fileset(actor=actor, files=files, network=network, source=str(path))


def import_fileset(*, actor: Actor, files: FileSet, network: Network, source: str) -> ImportResult:
    if files.problems:
        raise ImportFailed(files.problems)
    with transaction.atomic():
        writer = _Writer(files, network)
        result = writer.run()
        if writer.problems:
            raise ImportFailed(writer.problems)  # leaving the block rolls everything back
        audit_record(
            actor=actor,
            action="directory.import_hsds",
            summary=f"Imported HSDS from {Path(source).name}: {result.summary()}"[:300],
            changes={
                "created": [dict(result.created)],
                "updated": [dict(result.updated)],
            },
        )
    return result


class _Writer:
    def __init__(self, files: FileSet, network: Network) -> None:
        self.files = files
        self.network = network
        self.problems: list[Problem] = []
        self.pks: dict[str, dict[str, int]] = defaultdict(dict)  # table -> hsds id -> pk
        self.result = ImportResult()

    def run(self) -> ImportResult:
        self._resolve_existing()
        self._check_references()
        if self.problems:
            return self.result
        for name in IMPORT_ORDER:
            table = TABLES[name]
            for id_, (row, source) in self.files.rows.get(name, {}).items():
                self._save(table, id_, row, source)
        if not self.problems:
            self._sync_needs()
        return self.result

    def _sync_needs(self) -> None:
        """Files that publish Wraparound's need categories (attributes with terms of the
        "Wraparound needs" taxonomy, as our exports do) set the needs of every service they
        import; files from elsewhere leave services' needs alone."""
        codes = {str(need_term_id(need)): need.value for need in NeedCategory}
        by_service: dict[str, set[str]] = defaultdict(set)
        publishes_needs = False
        for row, _source in self.files.rows.get("attribute", {}).values():
            code = codes.get(row.get("taxonomy_term_id", ""))
            if code is not None:
                publishes_needs = True
                by_service[row["link_id"]].add(code)
        if not publishes_needs:
            return
        for id_ in self.files.rows.get("service", {}):
            pk = self.pks["service"][id_]
            wanted = by_service.get(id_, set())
            ServiceNeed.objects.filter(service_id=pk).exclude(need__in=wanted).delete()
            have = set(ServiceNeed.objects.filter(service_id=pk).values_list("need", flat=True))
            ServiceNeed.objects.bulk_create(
                [ServiceNeed(service_id=pk, need=n) for n in sorted(wanted - have)]
            )

    def _resolve_existing(self) -> None:
        """Primary keys of every referenced or imported id already in the directory."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for name, rows in self.files.rows.items():
            table = TABLES[name]
            wanted[name].update(rows)
            for row, _source in rows.values():
                for ref in table.refs:
                    if row.get(ref.name):
                        wanted[ref.table].add(row[ref.name])
        for name, ids in wanted.items():
            model = TABLES[name].model
            id_list = sorted(ids)
            for start in range(0, len(id_list), 2000):
                chunk = id_list[start : start + 2000]
                for pk, hsds_id in model._default_manager.filter(hsds_id__in=chunk).values_list(
                    "pk", "hsds_id"
                ):
                    self.pks[name][str(hsds_id)] = pk
        self._check_networks()

    def _check_networks(self) -> None:
        """Records already in another network's directory are not taken over."""
        scopes: tuple[tuple[type[models.Model], str, str], ...] = (
            (Organisation, "organization", "network"),
            (Location, "location", "network"),
            (Service, "service", "organisation__network"),
            (Program, "program", "organisation__network"),
        )
        for model, name, network_path in scopes:
            ids = [i for i in self.files.rows.get(name, {}) if i in self.pks[name]]
            others = model._default_manager.filter(hsds_id__in=ids).exclude(
                **{network_path: self.network}
            )
            for hsds_id in others.values_list("hsds_id", flat=True):
                _row, source = self.files.rows[name][str(hsds_id)]
                self._problem(
                    name, str(hsds_id), "id", "belongs to another network's directory", source
                )

    def _check_references(self) -> None:
        for name, rows in self.files.rows.items():
            table = TABLES[name]
            for id_, (row, source) in rows.items():
                for ref in table.refs:
                    target = row.get(ref.name)
                    if target is None:
                        if ref.required:
                            self._problem(name, id_, ref.name, "is required", source)
                        continue
                    if target not in self.files.rows.get(ref.table, {}) and (
                        target not in self.pks[ref.table]
                    ):
                        self._problem(
                            name,
                            id_,
                            ref.name,
                            f"refers to {ref.table} {target}, which is neither in the files "
                            "nor in the directory",
                            source,
                        )

    def _problem(self, table: str, id_: str, field_: str, reason: str, source: str) -> None:
        self.problems.append(Problem(table, id_, field_, reason, source))

    def _save(self, table: Table, id_: str, row: dict[str, Any], source: str) -> None:
        model = table.model
        pk = self.pks[table.name].get(id_)
        obj: models.Model
        obj = model._default_manager.get(pk=pk) if pk is not None else model(hsds_id=uuid.UUID(id_))
        failed = False
        for col in table.columns:
            try:
                value = from_json(col.kind, row.get(col.name))
            except ValueProblem as exc:
                self._problem(table.name, id_, col.name, str(exc), source)
                failed = True
                continue
            if value is None and col.kind not in (NUMBER, INTEGER, DATE, TIME, DATETIME):
                value = ""
            setattr(obj, col.model_field, value)
        for ref in table.refs:
            target = row.get(ref.name)
            target_pk = self.pks[ref.table].get(target) if target else None
            if target and target_pk is None:
                self._problem(
                    table.name,
                    id_,
                    ref.name,
                    f"refers to {ref.table} {target}, which is invalid",
                    source,
                )
                failed = True
            setattr(obj, f"{ref.fk}_id", target_pk)
        for soft in table.soft_refs:
            target = row.get(soft.name)
            setattr(obj, soft.field, uuid.UUID(target) if target else None)
        self._defaults(table, obj, row, is_new=pk is None)
        if failed:
            return
        try:
            obj.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                self._problem(
                    table.name, id_, _hsds_name(table, field_name), " ".join(messages), source
                )
            return
        obj.save()
        self.pks[table.name][id_] = obj.pk
        (self.result.updated if pk is not None else self.result.created)[table.name] += 1

    def _defaults(self, table: Table, obj: Any, row: dict[str, Any], *, is_new: bool) -> None:
        """Wraparound's own required fields, which HSDS does not carry."""
        if table.name == "organization":
            obj.network = self.network
            if is_new:
                obj.slug = self._unique_slug(obj.name)
                obj.sector = Sector.OTHER
                obj.kind = OrganisationKind.NON_PROFIT
        elif table.name == "location":
            obj.network = self.network
        elif table.name == "service" and obj.last_modified is None:
            obj.last_modified = timezone.now()

    def _unique_slug(self, name: str) -> str:
        base = slugify(name)[:70] or "organisation"
        slug, n = base, 1
        taken = set(
            Organisation.objects.filter(network=self.network, slug__startswith=base).values_list(
                "slug", flat=True
            )
        )
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        return slug


def _hsds_name(table: Table, field_name: str) -> str:
    for col in table.columns:
        if col.model_field == field_name:
            return col.name
    for ref in table.refs:
        if ref.fk == field_name:
            return ref.name
    for soft in table.soft_refs:
        if soft.field == field_name:
            return soft.name
    return "id" if field_name == "hsds_id" else field_name


def problems_text(problems: Iterable[Problem]) -> str:
    return "\n".join(str(p) for p in problems)
