"""Export the directory as HSDS 3.0: JSON documents and the tabular CSV data package.

``export_hsds(directory=DIR)`` writes

* ``DIR/json/services.json``: every service as a full document, in the paging envelope;
* ``DIR/json/organizations.json``: every organisation as a full document, its services in
  list form (one-to-one fields);
* ``DIR/json/taxonomies.json`` and ``DIR/json/taxonomy_terms.json``;
* ``DIR/csv/<table>.csv`` for every table and ``DIR/csv/datapackage.json`` describing them.

Documents are built a batch at a time with a constant number of queries per batch.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db.models import F, QuerySet

from wraparound.core.models import Network
from wraparound.directory.hsds.codec import (
    JsonObject,
    Serialiser,
    queryset_for,
    row,
)
from wraparound.directory.hsds.tables import (
    DATE,
    DATETIME,
    INTEGER,
    NUMBER,
    TABLES,
    TIME,
    Table,
)

BATCH = 500
HSDS_VERSION = "3.0"


def page(contents: list[JsonObject], *, total: int, page_number: int, size: int) -> JsonObject:
    """The HSDS paging envelope."""
    total_pages = max(1, -(-total // size)) if size else 1
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": len(contents),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": len(contents) == 0,
        "contents": contents,
    }


def scoped(table: Table, network: Network | None) -> QuerySet[Any]:
    qs = queryset_for(table)
    if network is None:
        return qs
    if table.name == "organization":
        return qs.filter(network=network)
    if table.name in ("service", "program"):
        return qs.filter(organisation__network=network)
    if table.name == "location":
        return qs.filter(network=network)
    return qs


def full_documents(table: Table, qs: QuerySet[Any]) -> Iterator[JsonObject]:
    """Full documents of every row of ``qs``, a batch at a time."""
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = list(queryset_for(table).filter(pk__in=ids[start : start + BATCH]).order_by("pk"))
        serialiser = Serialiser()
        serialiser.load(table, batch)
        for obj in batch:
            yield serialiser.document(table, obj)


def organisation_documents(qs: QuerySet[Any]) -> Iterator[JsonObject]:
    """Full organisation documents, their services in list form."""
    table = TABLES["organization"]
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = list(queryset_for(table).filter(pk__in=ids[start : start + BATCH]).order_by("pk"))
        serialiser = Serialiser()
        serialiser.load(table, batch, top=False)
        services: dict[int, list[Any]] = {o.pk: [] for o in batch}
        for service in list_services(
            queryset_for(TABLES["service"]).filter(organisation__in=batch)
        ):
            services[service.organisation_id].append(service)
        for obj in batch:
            doc = serialiser.document(table, obj, top=False)
            doc["services"] = [list_service(s) for s in services[obj.pk]]
            yield doc


def list_services(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Services ready for the list form (one query, whatever the number)."""
    return qs.select_related("organisation", "program").annotate(
        _program_organization_id=F("program__organisation__hsds_id")
    )


def list_service(service: Any) -> JsonObject:
    """A service in list form (fetched by ``list_services``): one-to-one fields, its
    organisation and programme."""
    out = row(TABLES["service"], service)
    out["organization"] = row(TABLES["organization"], service.organisation)
    if service.program is not None:
        program = service.program
        program._organization_id = service._program_organization_id
        out["program"] = row(TABLES["program"], program)
    return out


def export_hsds(*, directory: Path, network: Network | None = None) -> dict[str, int]:
    """Write the JSON documents and the CSV data package; returns rows written per table."""
    json_dir = directory / "json"
    csv_dir = directory / "csv"
    json_dir.mkdir(parents=True, exist_ok=True)
    csv_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}

    services = list(full_documents(TABLES["service"], scoped(TABLES["service"], network)))
    _write_json(
        json_dir / "services.json",
        page(services, total=len(services), page_number=1, size=max(1, len(services))),
    )
    organisations = list(organisation_documents(scoped(TABLES["organization"], network)))
    _write_json(
        json_dir / "organizations.json",
        page(
            organisations, total=len(organisations), page_number=1, size=max(1, len(organisations))
        ),
    )
    for name, filename in (
        ("taxonomy", "taxonomies.json"),
        ("taxonomy_term", "taxonomy_terms.json"),
    ):
        docs = list(full_documents(TABLES[name], queryset_for(TABLES[name])))
        _write_json(
            json_dir / filename, page(docs, total=len(docs), page_number=1, size=max(1, len(docs)))
        )

    resources = []
    for table in TABLES.values():
        counts[table.name] = _write_csv(csv_dir / table.csv, table, scoped(table, network))
        resources.append(_resource(table))
    _write_json(
        csv_dir / "datapackage.json",
        {
            "name": "wraparound-directory",
            "title": "Wraparound service directory (HSDS 3.0)",
            "profile": "tabular-data-package",
            "version": "3.0.0",
            "resources": resources,
        },
    )
    return counts


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_csv(path: Path, table: Table, qs: QuerySet[Any]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=table.column_names)
        writer.writeheader()
        for obj in qs.order_by("pk").iterator(chunk_size=2000):
            writer.writerow(row(table, obj))
            count += 1
    return count


_FIELD_TYPES = {
    NUMBER: "number",
    INTEGER: "number",
    DATE: "date",
    TIME: "time",
    DATETIME: "datetime",
}


def _resource(table: Table) -> dict[str, Any]:
    kinds = {col.name: col for col in table.columns}
    fields = []
    for name in table.column_names:
        col = kinds.get(name)
        field: dict[str, Any] = {
            "name": name,
            "type": _FIELD_TYPES.get(col.kind, "string") if col else "string",
        }
        if name == "id" or (col is not None and col.required):
            field["constraints"] = {"required": True, **({"unique": True} if name == "id" else {})}
        if name.endswith("_id") or name == "id":
            field["format"] = "uuid"
        if col is not None and col.enum:
            field.setdefault("constraints", {})["enum"] = list(col.enum)
        fields.append(field)
    return {
        "name": table.name,
        "path": table.csv,
        "format": "csv",
        "mediatype": "text/csv",
        "profile": "tabular-data-resource",
        "schema": {
            "primaryKey": "id",
            "fields": fields,
            "foreignKeys": [
                {"fields": ref.name, "reference": {"resource": ref.table, "fields": "id"}}
                for ref in table.refs
            ],
        },
    }
