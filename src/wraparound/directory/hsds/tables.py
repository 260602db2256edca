"""The HSDS 3.0 tables as Wraparound stores them: columns, types, references and nesting.

One description drives the CSV data package, the JSON documents (both directions), the
validation of imported rows and the loading of nested records for the API. It is written
from the HSDS 3.0 reference; a conformance test checks it against the official schemas
column by column.

References come in two kinds:

* hard (``Ref``): the record cannot exist without its target in the directory (a service's
  organisation, an address's location...). A dangling hard reference is an import error.
* soft (``SoftRef``): a pointer into something that may be published elsewhere (a parent
  organisation, a taxonomy term's parent or taxonomy, what an attribute or metadata row is
  about). Kept as an identifier and resolved when the target is in the directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.db import models

from wraparound.directory import models as m

# Column kinds (JSON Schema type and the Python value stored).
STRING = "string"
NUMBER = "number"  # stored as float
INTEGER = "integer"  # an HSDS "number" Wraparound stores as a whole number
DATE = "date"
TIME = "time"
DATETIME = "datetime"
UUID = "uuid"
URI = "uri"
EMAIL = "email"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = STRING
    required: bool = False
    enum: tuple[str, ...] = ()
    field: str = ""  # model field, when it differs from the HSDS name

    @property
    def model_field(self) -> str:
        return self.field or self.name


@dataclass(frozen=True)
class Ref:
    """A hard reference: ``name`` (e.g. "organization_id") -> ``table``, stored in FK ``fk``."""

    name: str
    table: str
    fk: str
    required: bool = False


@dataclass(frozen=True)
class SoftRef:
    name: str
    field: str
    required: bool = False


@dataclass(frozen=True)
class Nest:
    """A nested key of a JSON document.

    ``child_fk``: the child's column pointing at the parent (one-to-many), or ``parent_fk``:
    the parent's column pointing at the child (a nested one-to-one object such as a
    service's ``organization``). ``top_only``: only nested in a top-level document (an
    organization's ``services``, a service_at_location's ``service``).
    """

    key: str
    table: str
    accessor: str
    many: bool = True
    child_fk: str = ""
    parent_fk: str = ""
    top_only: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    model: type[models.Model]
    csv: str
    columns: tuple[Column, ...]
    refs: tuple[Ref, ...] = ()
    soft_refs: tuple[SoftRef, ...] = ()
    nests: tuple[Nest, ...] = field(default=())

    @cached_property
    def column_names(self) -> list[str]:
        """CSV column order: the official CSVs' where there is one, else id, the columns,
        then the references."""
        names = ["id"]
        ordered: list[str] = []
        for col in self.columns:
            ordered.append(col.name)
        for ref in self.refs:
            ordered.append(ref.name)
        for soft in self.soft_refs:
            ordered.append(soft.name)
        order = OFFICIAL_ORDER.get(self.name)
        if order:
            return [n for n in order if n in ordered or n == "id"]
        return names + ordered

    def ref(self, name: str) -> Ref | None:
        return next((r for r in self.refs if r.name == name), None)

    @cached_property
    def required_strings(self) -> frozenset[str]:
        """Required text columns: written even when empty (HSDS requires the key)."""
        return frozenset(c.name for c in self.columns if c.required and c.kind == STRING)

    @cached_property
    def plan(self) -> list[tuple[str, str, str]]:
        """How to read each HSDS column off a row, in column order: (name, how, source)
        where how is "id", a column kind, "ref" (annotated ``_<name>``) or "soft"."""
        sources: dict[str, tuple[str, str]] = {"id": ("id", "hsds_id")}
        for col in self.columns:
            sources[col.name] = (col.kind, col.model_field)
        for ref in self.refs:
            sources[ref.name] = ("ref", f"_{ref.name}")
        for soft in self.soft_refs:
            sources[soft.name] = ("soft", soft.field)
        return [(name, *sources[name]) for name in self.column_names]


C = Column
ATTRS = Nest("attributes", "attribute", "", child_fk="link_id")
META = Nest("metadata", "metadata", "", child_fk="resource_id")
LOCATION_TYPES = ("physical", "postal", "virtual")
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# The official column order of each table (the CSV header of the HSDS examples).
OFFICIAL_ORDER: dict[str, list[str]] = {
    "organization": [
        "id",
        "name",
        "alternate_name",
        "description",
        "email",
        "website",
        "tax_status",
        "tax_id",
        "year_incorporated",
        "legal_status",
        "logo",
        "uri",
        "parent_organization_id",
    ],
    "program": ["id", "organization_id", "name", "alternate_name", "description"],
    "service": [
        "id",
        "organization_id",
        "program_id",
        "name",
        "alternate_name",
        "description",
        "url",
        "email",
        "status",
        "interpretation_services",
        "application_process",
        "fees_description",
        "wait_time",
        "fees",
        "accreditations",
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "assured_date",
        "assurer_email",
        "licenses",
        "alert",
        "last_modified",
    ],
    "service_at_location": ["id", "service_id", "location_id", "description"],
    "location": [
        "id",
        "location_type",
        "url",
        "organization_id",
        "name",
        "alternate_name",
        "description",
        "transportation",
        "latitude",
        "longitude",
        "external_identifier",
        "external_identifier_type",
    ],
    "address": [
        "id",
        "location_id",
        "attention",
        "address_1",
        "address_2",
        "city",
        "region",
        "state_province",
        "postal_code",
        "country",
        "address_type",
    ],
    "phone": [
        "id",
        "location_id",
        "service_id",
        "organization_id",
        "contact_id",
        "service_at_location_id",
        "number",
        "extension",
        "type",
        "description",
    ],
    "schedule": [
        "id",
        "service_id",
        "location_id",
        "service_at_location_id",
        "valid_from",
        "valid_to",
        "dtstart",
        "timezone",
        "until",
        "count",
        "wkst",
        "freq",
        "interval",
        "byday",
        "byweekno",
        "bymonthday",
        "byyearday",
        "description",
        "opens_at",
        "closes_at",
        "schedule_link",
        "attending_type",
        "notes",
    ],
    "contact": [
        "id",
        "organization_id",
        "service_id",
        "service_at_location_id",
        "location_id",
        "name",
        "title",
        "department",
        "email",
    ],
    "taxonomy_term": [
        "id",
        "code",
        "name",
        "description",
        "parent_id",
        "taxonomy",
        "language",
        "taxonomy_id",
        "term_uri",
    ],
    "attribute": ["id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value"],
    "language": ["id", "service_id", "location_id", "phone_id", "name", "code", "note"],
    "metadata": [
        "id",
        "resource_id",
        "resource_type",
        "last_action_date",
        "last_action_type",
        "field_name",
        "previous_value",
        "replacement_value",
        "updated_by",
    ],
}

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "taxonomy",
            m.Taxonomy,
            "taxonomies.csv",
            (
                C("name", required=True),
                C("description", required=True),
                C("uri", URI),
                C("version"),
            ),
            nests=(META,),
        ),
        Table(
            "taxonomy_term",
            m.TaxonomyTerm,
            "taxonomy_terms.csv",
            (
                C("code"),
                C("name", required=True),
                C("description", required=True),
                C("taxonomy"),
                C("language"),
                C("term_uri", URI),
            ),
            soft_refs=(
                SoftRef("parent_id", "parent_hsds_id"),
                SoftRef("taxonomy_id", "taxonomy_hsds_id"),
            ),
            nests=(
                Nest("taxonomy_detail", "taxonomy", "", many=False, parent_fk="taxonomy_id"),
                META,
            ),
        ),
        Table(
            "organization",
            m.Organisation,
            "organizations.csv",
            (
                C("name", required=True),
                C("alternate_name"),
                C("description", required=True),
                C("email", EMAIL),
                C("website", URI),
                C("tax_status"),
                C("tax_id"),
                C("year_incorporated", INTEGER),
                C("legal_status"),
                C("logo"),
                C("uri", URI),
            ),
            soft_refs=(SoftRef("parent_organization_id", "parent_hsds_id"),),
            nests=(
                Nest("funding", "funding", "funding", child_fk="organization_id"),
                Nest("contacts", "contact", "contacts", child_fk="organization_id"),
                Nest("phones", "phone", "phones", child_fk="organization_id"),
                Nest("locations", "location", "locations", child_fk="organization_id"),
                Nest("programs", "program", "programs", child_fk="organization_id"),
                Nest(
                    "organization_identifiers",
                    "organization_identifier",
                    "organization_identifiers",
                    child_fk="organization_id",
                ),
                ATTRS,
                META,
                Nest("services", "service", "services", child_fk="organization_id", top_only=True),
            ),
        ),
        Table(
            "program",
            m.Program,
            "programs.csv",
            (C("name", required=True), C("alternate_name"), C("description", required=True)),
            refs=(Ref("organization_id", "organization", "organisation", required=True),),
            nests=(ATTRS, META),
        ),
        Table(
            "service",
            m.Service,
            "services.csv",
            (
                C("name", required=True),
                C("alternate_name"),
                C("description"),
                C("url", URI),
                C("email", EMAIL),
                C("status", required=True, enum=SERVICE_STATUSES),
                C("interpretation_services"),
                C("application_process"),
                C("fees_description"),
                C("wait_time"),
                C("fees"),
                C("accreditations"),
                C("eligibility_description"),
                C("minimum_age", INTEGER),
                C("maximum_age", INTEGER),
                C("assured_date", DATE),
                C("assurer_email", EMAIL),
                C("licenses"),
                C("alert"),
                C("last_modified", DATETIME),
            ),
            refs=(
                Ref("organization_id", "organization", "organisation", required=True),
                Ref("program_id", "program", "program"),
            ),
            nests=(
                Nest("phones", "phone", "phones", child_fk="service_id"),
                Nest("schedules", "schedule", "schedules", child_fk="service_id"),
                Nest("service_areas", "service_area", "service_areas", child_fk="service_id"),
                Nest(
                    "service_at_locations",
                    "service_at_location",
                    "service_at_locations",
                    child_fk="service_id",
                ),
                Nest("languages", "language", "languages", child_fk="service_id"),
                Nest(
                    "organization",
                    "organization",
                    "organisation",
                    many=False,
                    parent_fk="organization_id",
                ),
                Nest("funding", "funding", "funding", child_fk="service_id"),
                Nest("cost_options", "cost_option", "cost_options", child_fk="service_id"),
                Nest("program", "program", "program", many=False, parent_fk="program_id"),
                Nest(
                    "required_documents",
                    "required_document",
                    "required_documents",
                    child_fk="service_id",
                ),
                Nest("contacts", "contact", "contacts", child_fk="service_id"),
                ATTRS,
                META,
            ),
        ),
        Table(
            "location",
            m.Location,
            "locations.csv",
            (
                C("location_type", required=True, enum=LOCATION_TYPES),
                C("url", URI),
                C("name"),
                C("alternate_name"),
                C("description"),
                C("transportation"),
                C("latitude", NUMBER),
                C("longitude", NUMBER),
                C("external_identifier"),
                C("external_identifier_type"),
            ),
            refs=(Ref("organization_id", "organization", "organisation"),),
            nests=(
                Nest("languages", "language", "languages", child_fk="location_id"),
                Nest("addresses", "address", "addresses", child_fk="location_id"),
                Nest("contacts", "contact", "contacts", child_fk="location_id"),
                Nest("accessibility", "accessibility", "accessibility", child_fk="location_id"),
                Nest("phones", "phone", "phones", child_fk="location_id"),
                Nest("schedules", "schedule", "schedules", child_fk="location_id"),
                ATTRS,
                META,
            ),
        ),
        Table(
            "service_at_location",
            m.ServiceAtLocation,
            "service_at_location.csv",
            (C("description"),),
            refs=(
                Ref("service_id", "service", "service", required=True),
                Ref("location_id", "location", "location", required=True),
            ),
            nests=(
                Nest("contacts", "contact", "contacts", child_fk="service_at_location_id"),
                Nest("phones", "phone", "phones", child_fk="service_at_location_id"),
                Nest("schedules", "schedule", "schedules", child_fk="service_at_location_id"),
                Nest("location", "location", "location", many=False, parent_fk="location_id"),
                ATTRS,
                META,
                Nest(
                    "service",
                    "service",
                    "service",
                    many=False,
                    parent_fk="service_id",
                    top_only=True,
                ),
            ),
        ),
        Table(
            "address",
            m.Address,
            "addresses.csv",
            (
                C("attention"),
                C("address_1", required=True),
                C("address_2"),
                C("city", required=True),
                C("region"),
                C("state_province", required=True),
                C("postal_code", required=True),
                C("country", required=True),
                C("address_type", required=True, enum=LOCATION_TYPES),
            ),
            refs=(Ref("location_id", "location", "location", required=True),),
            nests=(ATTRS, META),
        ),
        Table(
            "contact",
            m.Contact,
            "contacts.csv",
            (C("name"), C("title"), C("department"), C("email", EMAIL)),
            refs=(
                Ref("organization_id", "organization", "organisation"),
                Ref("service_id", "service", "service"),
                Ref("service_at_location_id", "service_at_location", "service_at_location"),
                Ref("location_id", "location", "location"),
            ),
            nests=(Nest("phones", "phone", "phones", child_fk="contact_id"), ATTRS, META),
        ),
        Table(
            "phone",
            m.Phone,
            "phones.csv",
            (
                C("number", required=True),
                C("extension", INTEGER),
                C("type"),
                C("description"),
            ),
            refs=(
                Ref("location_id", "location", "location"),
                Ref("service_id", "service", "service"),
                Ref("organization_id", "organization", "organisation"),
                Ref("contact_id", "contact", "contact"),
                Ref("service_at_location_id", "service_at_location", "service_at_location"),
            ),
            nests=(Nest("languages", "language", "languages", child_fk="phone_id"), ATTRS, META),
        ),
        Table(
            "schedule",
            m.Schedule,
            "schedules.csv",
            (
                C("valid_from", DATE),
                C("valid_to", DATE),
                C("dtstart", DATE),
                C("timezone", NUMBER),
                C("until", DATE),
                C("count", INTEGER),
                C("wkst", enum=WEEKDAYS),
                C("freq", enum=("WEEKLY", "MONTHLY")),
                C("interval", INTEGER),
                C("byday"),
                C("byweekno"),
                C("bymonthday"),
                C("byyearday"),
                C("description"),
                C("opens_at", TIME),
                C("closes_at", TIME),
                C("schedule_link", URI),
                C("attending_type"),
                C("notes"),
            ),
            refs=(
                Ref("service_id", "service", "service"),
                Ref("location_id", "location", "location"),
                Ref("service_at_location_id", "service_at_location", "service_at_location"),
            ),
            nests=(ATTRS, META),
        ),
        Table(
            "service_area",
            m.ServiceArea,
            "service_areas.csv",
            (C("name"), C("description"), C("extent"), C("extent_type"), C("uri")),
            refs=(Ref("service_id", "service", "service"),),
            nests=(ATTRS, META),
        ),
        Table(
            "cost_option",
            m.CostOption,
            "cost_options.csv",
            (
                C("valid_from", DATE),
                C("valid_to", DATE),
                C("option"),
                C("currency"),
                C("amount", NUMBER),
                C("amount_description"),
            ),
            refs=(Ref("service_id", "service", "service"),),
            nests=(ATTRS, META),
        ),
        Table(
            "language",
            m.Language,
            "languages.csv",
            (C("name"), C("code"), C("note")),
            refs=(
                Ref("service_id", "service", "service"),
                Ref("location_id", "location", "location"),
                Ref("phone_id", "phone", "phone"),
            ),
            nests=(ATTRS, META),
        ),
        Table(
            "required_document",
            m.RequiredDocument,
            "required_documents.csv",
            (C("document"), C("uri", URI)),
            refs=(Ref("service_id", "service", "service"),),
            nests=(ATTRS, META),
        ),
        Table(
            "funding",
            m.Funding,
            "funding.csv",
            (C("source"),),
            refs=(
                Ref("organization_id", "organization", "organisation"),
                Ref("service_id", "service", "service"),
            ),
            nests=(ATTRS, META),
        ),
        Table(
            "accessibility",
            m.Accessibility,
            "accessibility.csv",
            (C("description"), C("details"), C("url", URI)),
            refs=(Ref("location_id", "location", "location"),),
            nests=(ATTRS, META),
        ),
        Table(
            "organization_identifier",
            m.OrganisationIdentifier,
            "organization_identifiers.csv",
            (
                C("identifier_scheme"),
                C("identifier_type", required=True),
                C("identifier", required=True),
            ),
            refs=(Ref("organization_id", "organization", "organisation", required=True),),
            nests=(ATTRS, META),
        ),
        Table(
            "attribute",
            m.Attribute,
            "attributes.csv",
            (C("link_type"), C("link_entity"), C("value")),
            refs=(Ref("taxonomy_term_id", "taxonomy_term", "taxonomy_term", required=True),),
            soft_refs=(SoftRef("link_id", "link_id", required=True),),
            nests=(
                Nest(
                    "taxonomy_term",
                    "taxonomy_term",
                    "taxonomy_term",
                    many=False,
                    parent_fk="taxonomy_term_id",
                ),
                META,
            ),
        ),
        Table(
            "metadata",
            m.Metadata,
            "metadata.csv",
            (
                C("resource_type"),
                C("last_action_date", DATE, required=True),
                C("last_action_type", required=True),
                C("field_name", required=True),
                C("previous_value", required=True),
                C("replacement_value", required=True),
                C("updated_by", required=True),
            ),
            soft_refs=(SoftRef("resource_id", "resource_id", required=True),),
        ),
        Table(
            "meta_table_description",
            m.MetaTableDescription,
            "meta_table_descriptions.csv",
            (C("name"), C("language"), C("character_set")),
            nests=(ATTRS, META),
        ),
    )
}

# Write order: every hard reference points at an earlier table.
IMPORT_ORDER: tuple[str, ...] = (
    "taxonomy",
    "taxonomy_term",
    "organization",
    "program",
    "service",
    "location",
    "service_at_location",
    "contact",
    "phone",
    "address",
    "language",
    "schedule",
    "service_area",
    "cost_option",
    "required_document",
    "funding",
    "accessibility",
    "organization_identifier",
    "attribute",
    "metadata",
    "meta_table_description",
)
TABLE_BY_CSV = {t.csv: t for t in TABLES.values()}
