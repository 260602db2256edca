"""HSDS values <-> model values, and model rows -> HSDS JSON objects (the export side).

``Serialiser`` turns rows into HSDS documents. It loads what they nest itself, so a page of
documents costs a bounded number of queries whatever its size: at most one per nested
relation, plus one each for the attributes, the metadata and the taxonomies of every
record on the page.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from django.db import models
from django.db.models import F, QuerySet

from wraparound.directory.hsds.tables import (
    DATE,
    DATETIME,
    INTEGER,
    NUMBER,
    TABLES,
    TIME,
    Nest,
    Table,
)
from wraparound.directory.models import Attribute, Metadata, Taxonomy, TaxonomyTerm

JsonObject = dict[str, Any]


class ValueProblem(ValueError):
    """An HSDS value that cannot be stored (the message names what was expected)."""


# --- values -------------------------------------------------------------------------------


def format_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def to_json(kind: str, value: Any) -> Any:
    """A stored value as HSDS JSON; None for "absent"."""
    if value is None or value == "":
        return None
    if kind == DATE:
        return value.isoformat()
    if kind == TIME:
        return value.isoformat()
    if kind == DATETIME:
        return format_datetime(value)
    if kind == NUMBER:
        number = float(value)
        return int(number) if number.is_integer() else number
    if kind == INTEGER:
        return int(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def from_json(kind: str, value: Any) -> Any:
    """An HSDS JSON (or CSV) value as stored; raises ValueProblem with a plain reason."""
    if value is None:
        return None
    if kind == DATE:
        try:
            return date.fromisoformat(str(value))
        except ValueError as exc:
            raise ValueProblem(f"{value!r} is not a date (YYYY-MM-DD)") from exc
    if kind == TIME:
        try:
            return time.fromisoformat(str(value))
        except ValueError as exc:
            raise ValueProblem(f"{value!r} is not a time (HH:MM[:SS])") from exc
    if kind == DATETIME:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise ValueProblem(f"{value!r} is not a date-time (ISO 8601)") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed
    if kind in (NUMBER, INTEGER):
        if isinstance(value, bool):
            raise ValueProblem(f"{value!r} is not a number")
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueProblem(f"{value!r} is not a number") from exc
        if not math.isfinite(number):
            raise ValueProblem(f"{value!r} is not a finite number")
        if kind == INTEGER:
            if not number.is_integer() or number < 0:
                raise ValueProblem(f"{value!r} is not a whole number of 0 or more")
            return int(number)
        return number
    return value


def csv_cell(kind: str, text: str) -> Any:
    """A CSV cell as a JSON value (empty means absent); numbers become numbers."""
    if text == "":
        return None
    if kind in (NUMBER, INTEGER):
        try:
            number = float(text)
        except ValueError:
            return text  # reported by validation, naming the column
        return int(number) if number.is_integer() else number
    return text


# --- querysets ----------------------------------------------------------------------------


def queryset_for(table: Table) -> QuerySet[Any]:
    """Rows of ``table`` with the HSDS ids of their hard references annotated as ``_<ref>``."""
    annotations = {f"_{ref.name}": F(f"{ref.fk}__hsds_id") for ref in table.refs}
    qs: QuerySet[Any] = table.model._default_manager.all()
    return qs.annotate(**annotations) if annotations else qs


# --- serialising --------------------------------------------------------------------------


def row(table: Table, obj: models.Model) -> JsonObject:
    """The one-to-one fields of a record (a CSV row, or a list-form object); absent values
    are left out."""
    out: JsonObject = {}
    for name, how, source in table.plan:
        value = getattr(obj, source, None)
        if value is None or value == "":
            if name in table.required_strings:
                out[name] = ""
            continue
        if how in ("id", "ref", "soft"):
            out[name] = str(value)
        elif how in _PLAIN:
            out[name] = value
        else:
            out[name] = to_json(how, value)
    return out


_PLAIN = frozenset({"string", "uri", "email"})


class Serialiser:
    """Full HSDS documents for a batch of records.

    ``load(table, roots)`` fetches everything the documents nest, one query per nested
    relation (rows grouped by parent in Python: no per-record querysets), then the
    attributes, metadata and taxonomies of every record in three more. With ``lazy=True``
    nothing is preloaded and each relation is fetched record by record (the naive way,
    kept as the benchmark's baseline).
    """

    def __init__(self, *, lazy: bool = False) -> None:
        self.lazy = lazy
        self.attributes: dict[uuid.UUID, list[Attribute]] = defaultdict(list)
        self.metadata: dict[uuid.UUID, list[Metadata]] = defaultdict(list)
        self.taxonomies: dict[uuid.UUID, Taxonomy] = {}
        self._terms: list[TaxonomyTerm] = []
        self._shared: dict[tuple[str, Any], JsonObject] = {}
        self._kids: dict[tuple[str, str, Any], list[models.Model]] = defaultdict(list)
        self._expanded: set[tuple[str, Any]] = set()

    def load(self, table: Table, roots: Sequence[models.Model], *, top: bool = True) -> None:
        if not self.lazy:
            self._load_tree(table, roots, top=top)
        ids: set[uuid.UUID] = set()
        self._collect(table, roots, ids, top=top)
        self.load_ids(ids)

    def _load_tree(self, table: Table, objs: Sequence[models.Model], *, top: bool) -> None:
        parents = [o for o in objs if (table.name, o.pk) not in self._expanded]
        if not parents:
            return
        self._expanded.update((table.name, o.pk) for o in parents)
        for nest in table.nests:
            if not nest.accessor or (nest.top_only and not top):
                continue
            child = TABLES[nest.table]
            rows: list[models.Model] = []
            if nest.many:
                ref = child.ref(nest.child_fk)
                assert ref is not None, (child.name, nest.child_fk)
                column = f"{ref.fk}_id"
                pks = [o.pk for o in parents]
                for chunk in _chunks(pks):
                    rows.extend(queryset_for(child).filter(**{f"{column}__in": chunk}))
                for r in rows:
                    self._kids[(table.name, nest.key, getattr(r, column))].append(r)
            else:
                ref = table.ref(nest.parent_fk)
                assert ref is not None, (table.name, nest.parent_fk)
                column = f"{ref.fk}_id"
                targets = sorted({getattr(o, column) for o in parents} - {None})
                by_pk: dict[Any, models.Model] = {}
                for chunk in _chunks(targets):
                    by_pk.update((r.pk, r) for r in queryset_for(child).filter(pk__in=chunk))
                rows = list(by_pk.values())
                for o in parents:
                    target = by_pk.get(getattr(o, column))
                    if target is not None:
                        self._kids[(table.name, nest.key, o.pk)] = [target]
            self._load_tree(child, rows, top=False)

    def children(self, table: Table, nest: Nest, obj: models.Model) -> list[models.Model]:
        if self.lazy:
            return _children(obj, nest)
        return self._kids.get((table.name, nest.key, obj.pk), [])

    def load_ids(self, ids: Iterable[uuid.UUID]) -> None:
        id_list = list(ids)
        terms: list[TaxonomyTerm] = list(self._terms)
        for chunk in _chunks(id_list):
            for attribute in (
                queryset_for(TABLES["attribute"])
                .filter(link_id__in=chunk)
                .select_related("taxonomy_term")
            ):
                self.attributes[attribute.link_id].append(attribute)
                terms.append(attribute.taxonomy_term)
        self.load_taxonomies({t.taxonomy_hsds_id for t in terms if t.taxonomy_hsds_id})
        id_list.extend(term.hsds_id for term in terms)
        id_list.extend(self.taxonomies)
        for chunk in _chunks(list(set(id_list))):
            for meta in Metadata.objects.filter(resource_id__in=chunk):
                self.metadata[meta.resource_id].append(meta)

    def load_taxonomies(self, ids: set[uuid.UUID]) -> None:
        missing = [i for i in ids if i not in self.taxonomies]
        for chunk in _chunks(missing):
            for taxonomy in Taxonomy.objects.filter(hsds_id__in=chunk):
                self.taxonomies[taxonomy.hsds_id] = taxonomy

    def _collect(
        self, table: Table, objs: Iterable[models.Model], ids: set[uuid.UUID], *, top: bool
    ) -> None:
        for obj in objs:
            if obj.hsds_id in ids:  # type: ignore[attr-defined]
                continue  # shared (an organisation of several services): walked once
            ids.add(obj.hsds_id)  # type: ignore[attr-defined]
            if isinstance(obj, TaxonomyTerm):
                self._terms.append(obj)
            for nest in table.nests:
                if not nest.accessor or (nest.top_only and not top):
                    continue
                self._collect(TABLES[nest.table], self.children(table, nest, obj), ids, top=False)

    def document(self, table: Table, obj: models.Model, *, top: bool = True) -> JsonObject:
        out = row(table, obj)
        own_id: uuid.UUID = obj.hsds_id  # type: ignore[attr-defined]
        for nest in table.nests:
            if nest.top_only and not top:
                continue
            child_table = TABLES[nest.table]
            if nest.table == "attribute":
                out["attributes"] = [
                    self.attribute(a) for a in sorted(self.attributes[own_id], key=_by_pk)
                ]
            elif nest.table == "metadata":
                out["metadata"] = [
                    row(child_table, meta) for meta in sorted(self.metadata[own_id], key=_by_pk)
                ]
            elif nest.key == "taxonomy_detail":
                taxonomy_id = getattr(obj, "taxonomy_hsds_id", None)
                taxonomy = self.taxonomies.get(taxonomy_id) if taxonomy_id else None
                if taxonomy is not None:
                    out["taxonomy_detail"] = self.document(child_table, taxonomy, top=False)
            elif nest.many:
                out[nest.key] = [
                    self.document(child_table, child, top=False)
                    for child in self.children(table, nest, obj)
                ]
            else:
                children = self.children(table, nest, obj)
                if children:
                    out[nest.key] = self.shared_document(child_table, children[0])
        return out

    def shared_document(self, table: Table, obj: models.Model) -> JsonObject:
        """A nested one-to-one document (a service's organisation, a service_at_location's
        location...), built once per page however many records share it. Read-only."""
        key = (table.name, obj.pk)
        doc = self._shared.get(key)
        if doc is None:
            doc = self._shared[key] = self.document(table, obj, top=False)
        return doc

    def attribute(self, attribute: Attribute) -> JsonObject:
        out = row(TABLES["attribute"], attribute)
        term = attribute.taxonomy_term
        out["taxonomy_term"] = self.shared_document(TABLES["taxonomy_term"], term)
        meta = sorted(self.metadata[attribute.hsds_id], key=_by_pk)
        out["metadata"] = [row(TABLES["metadata"], x) for x in meta]
        return out


def _children(obj: models.Model, nest: Nest) -> list[models.Model]:
    if not nest.accessor:
        return []
    if nest.many:
        return list(getattr(obj, nest.accessor).all())
    child = getattr(obj, nest.accessor)
    return [child] if child is not None else []


def _by_pk(obj: models.Model) -> Any:
    return obj.pk


def _chunks(items: list[Any], size: int = 2000) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
