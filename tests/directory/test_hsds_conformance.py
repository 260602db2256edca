"""Conformance with the official HSDS 3.0 schemas and examples (read from ../shared)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from wraparound.accounts.actor import Actor
from wraparound.core.models import Network
from wraparound.directory.hsds import official
from wraparound.directory.hsds.exporter import export_hsds
from wraparound.directory.hsds.importer import ImportFailed, import_hsds
from wraparound.directory.hsds.tables import INTEGER, NUMBER, TABLES
from wraparound.directory.models import Organisation, Service

pytestmark = pytest.mark.django_db

# Example document -> (API path template, official schema of the API answer).
DOCUMENTS = {
    "service_full.json": ("/hsds/services/{id}", "compiled/service"),
    "organization_full.json": (
        "/hsds/organizations/{id}?full_service=true",
        "compiled/organization",
    ),
    "service_at_location_full.json": (
        "/hsds/service_at_locations/{id}",
        "compiled/service_at_location",
    ),
    "taxonomy.json": ("/hsds/taxonomies/{id}", "taxonomy"),
    "taxonomy_term.json": ("/hsds/taxonomy_terms/{id}", "taxonomy_term"),
}


def contains(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Every field of ``expected`` is in ``actual`` with the same value (lists by id)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += contains(value, actual[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        by_id = {a.get("id"): a for a in actual if isinstance(a, dict)}
        problems = []
        for i, item in enumerate(expected):
            other = by_id.get(item.get("id")) if isinstance(item, dict) else actual[i]
            problems += contains(item, other, f"{path}[{i}]")
        return problems
    if expected != actual:
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return []


def errors(schema: str, document: Any) -> list[str]:
    validator = official.validator(schema)
    assert validator is not None
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_our_tables_match_the_official_schemas(standard: Path) -> None:
    for name, table in TABLES.items():
        schema = json.loads((standard / "schema" / f"{name}.json").read_text())
        official_columns = {
            key
            for key, prop in schema["properties"].items()
            if prop.get("type") not in ("array", "object") and "$ref" not in prop
        }
        ours = set(table.column_names)
        assert ours == official_columns, name
        required = {c.name for c in table.columns if c.required} | {"id"}
        assert required == set(schema["required"]), name
        for col in table.columns:
            prop = schema["properties"][col.name]
            if col.kind in (NUMBER, INTEGER):
                assert prop["type"] == "number", (name, col.name)
            else:
                assert prop["type"] == "string", (name, col.name)
            assert tuple(prop.get("enum", ())) == col.enum, (name, col.name)
        nests = {n.key for n in table.nests if not n.top_only}
        official_nests = {
            key
            for key, prop in schema["properties"].items()
            if prop.get("type") == "array" or "$ref" in prop
        }
        assert nests == official_nests, name


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_example_documents_import_and_round_trip_through_the_api(
    name: str, standard: Path, network: Network, system_actor: Actor
) -> None:
    example = json.loads((standard / "examples" / name).read_text())
    import_hsds(actor=system_actor, path=standard / "examples" / name, network=network)
    path, schema = DOCUMENTS[name]
    response = Client().get(path.format(id=example["id"]))
    assert response.status_code == 200
    answer = response.json()
    assert errors(schema, answer) == []
    assert contains(example, answer) == []


@pytest.mark.parametrize(
    ("name", "path", "schema"),
    [
        ("service_list.json", "/hsds/services", "compiled/service_list"),
        ("organization_list.json", "/hsds/organizations", "compiled/organization_list"),
        (
            "service_at_location_list.json",
            "/hsds/service_at_locations",
            "compiled/service_at_location_list",
        ),
        ("taxonomy_list.json", "/hsds/taxonomies", "taxonomy"),
        ("taxonomy_term_list.json", "/hsds/taxonomy_terms", "taxonomy_term"),
    ],
)
def test_example_lists_import_and_round_trip(
    name: str, path: str, schema: str, standard: Path, network: Network, system_actor: Actor
) -> None:
    example = json.loads((standard / "examples" / name).read_text())
    import_hsds(actor=system_actor, path=standard / "examples" / name, network=network)
    answer = Client().get(path, {"per_page": 1}).json()
    assert errors("compiled/service_list", {"id": "x"}) != []  # the validator does validate
    for item in answer["contents"]:
        assert errors(schema, item) == []
    expected = {k: v for k, v in example.items() if k not in ("total_items", "total_pages")}
    expected["contents"] = example["contents"]
    assert answer["page_number"] == 1 and answer["size"] == len(answer["contents"])
    assert contains(example["contents"], answer["contents"]) == []


def test_location_example_imports_and_exports_without_loss(
    standard: Path, network: Network, system_actor: Actor, tmp_path: Path
) -> None:
    import_hsds(actor=system_actor, path=standard / "examples" / "location.json", network=network)
    export_hsds(directory=tmp_path)
    with (tmp_path / "csv" / "locations.csv").open() as handle:
        [exported] = list(csv.DictReader(handle))
    example = json.loads((standard / "examples" / "location.json").read_text())
    assert exported["name"] == example["name"]
    assert float(exported["latitude"]) == example["latitude"]


def test_official_csv_package_reports_its_dangling_references(
    standard: Path, network: Network, system_actor: Actor
) -> None:
    """The official CSV example points at two organisations and a service_at_location it
    does not contain: an all-or-nothing import refuses it, naming each one."""
    with pytest.raises(ImportFailed) as failure:
        import_hsds(actor=system_actor, path=standard / "examples" / "csv", network=network)
    found = {(p.table, p.id, p.field) for p in failure.value.problems}
    assert found == {
        ("contact", "1e7efce3-639b-4880-940c-b95cd30cdb50", "organization_id"),
        ("contact", "1e7efce3-639b-4880-940c-b95cd30cdb50", "service_at_location_id"),
        ("location", "3a19ff88-4620-4d17-9830-ac1d859eb5d5", "organization_id"),
    }
    assert not Service.objects.exists()
    assert not Organisation.objects.exists()


DANGLING = {
    ("contacts.csv", "organization_id"),
    ("contacts.csv", "service_at_location_id"),
    ("locations.csv", "organization_id"),
}


def test_official_csv_package_round_trips_cell_by_cell(
    standard: Path, network: Network, system_actor: Actor, tmp_path: Path
) -> None:
    """With its three dangling references blanked, the official CSV example imports, and
    the export gives back every cell of every table."""
    source = tmp_path / "in"
    shutil.copytree(standard / "examples" / "csv", source)
    for filename, column in DANGLING:
        path = source / filename
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
            header = list(rows[0])
        for r in rows:
            r[column] = ""
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
    import_hsds(actor=system_actor, path=source, network=network)
    out = tmp_path / "out"
    export_hsds(directory=out)
    for table in TABLES.values():
        with (source / table.csv).open() as handle:
            originals = {r["id"]: r for r in csv.DictReader(handle)}
        with (out / "csv" / table.csv).open() as handle:
            exported = {r["id"]: r for r in csv.DictReader(handle)}
        assert set(exported) == set(originals), table.name
        kinds = {c.name: c.kind for c in table.columns}
        for id_, original in originals.items():
            for column, value in original.items():
                got = exported[id_][column]
                if kinds.get(column) in (NUMBER, INTEGER) and value:
                    assert float(got) == float(value), (table.name, column)
                else:
                    assert got == value, (table.name, column, value, got)


def test_export_validates_against_the_official_schemas(
    standard: Path, network: Network, system_actor: Actor, tmp_path: Path
) -> None:
    for name in ("organization_full.json", "service_full.json", "taxonomy_term.json"):
        import_hsds(actor=system_actor, path=standard / "examples" / name, network=network)
    export_hsds(directory=tmp_path)
    services = json.loads((tmp_path / "json" / "services.json").read_text())
    assert services["total_items"] == 1
    for doc in services["contents"]:
        assert errors("compiled/service", doc) == []
    organisations = json.loads((tmp_path / "json" / "organizations.json").read_text())
    for doc in organisations["contents"]:
        assert errors("compiled/organization", doc) == []
    for doc in json.loads((tmp_path / "json" / "taxonomy_terms.json").read_text())["contents"]:
        assert errors("taxonomy_term", doc) == []
    for doc in json.loads((tmp_path / "json" / "taxonomies.json").read_text())["contents"]:
        assert errors("taxonomy", doc) == []


def test_export_then_import_elsewhere_gives_the_same_export(
    standard: Path, network: Network, system_actor: Actor, tmp_path: Path
) -> None:
    import_hsds(
        actor=system_actor, path=standard / "examples" / "organization_full.json", network=network
    )
    export_hsds(directory=tmp_path / "a")
    first = json.loads((tmp_path / "a" / "json" / "services.json").read_text())
    # Re-importing the export updates by id: nothing is duplicated, nothing changes.
    import_hsds(actor=system_actor, path=tmp_path / "a" / "json" / "services.json", network=network)
    assert Service.objects.count() == 1
    export_hsds(directory=tmp_path / "b")
    second = json.loads((tmp_path / "b" / "json" / "services.json").read_text())
    assert first == second
