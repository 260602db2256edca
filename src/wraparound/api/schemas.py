"""Request and response bodies of the JSON API.

Input is strict: a string field takes only a JSON string (never 42 or true), a boolean only
true/false, an id only an integer, a date only "YYYY-MM-DD". Unknown fields are refused
(422 ``extra_forbidden``) so a misspelt field is never silently dropped. Vocabularies
(sex, gender, languages, population groups, identifier types) are checked by the people
services, the single source of those rules; the schema only lists them for OpenAPI.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from django.utils import timezone
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
)
from pydantic_core import PydanticCustomError

from wraparound.consent.categories import DataCategory
from wraparound.consent.models import BreakGlassReason, Evidence, Purpose, RecipientKind
from wraparound.directory.models import Sector
from wraparound.people.choices import (
    LANGUAGE_NAMES,
    Gender,
    IdentifierType,
    PopulationGroup,
    Relationship,
    Sex,
)

# Largest id a database integer column holds: a bigger one is "not found", not an overflow.
MAX_ID = 2**63 - 1

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?"
)


def _iso_date_only(value: object) -> object:
    # Pydantic's lax date parsing also takes Unix timestamps and datetimes; a date of birth
    # sent as 1700000000 is a client bug, not a date.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value  # pydantic then checks it is a real day (no 2024-02-30)
    raise PydanticCustomError("date_format", "Enter a date as YYYY-MM-DD")


def _no_nul(value: object) -> object:
    # PostgreSQL refuses NUL in text; refuse it here rather than fail at the database.
    if isinstance(value, str) and "\x00" in value:
        raise PydanticCustomError("string_nul", "Text must not contain NUL characters")
    return value


def _iso_datetime_only(value: object) -> object:
    # As for dates: no Unix timestamps. A date alone means its midnight.
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        return value
    raise PydanticCustomError(
        "datetime_format", "Enter a date and time as YYYY-MM-DDTHH:MM[:SS][+HH:MM], or a date"
    )


def _aware(value: datetime) -> datetime:
    # Without an offset, the network's local time (settings.TIME_ZONE).
    return timezone.make_aware(value) if timezone.is_naive(value) else value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime_only), AfterValidator(_aware)]
Text = Annotated[str, Strict(), BeforeValidator(_no_nul)]


def _omittable(max_length: int | None = None, **extra: Any) -> Any:
    """An optional field: omitted means 'keep' (PATCH) or 'the default' (POST)."""
    if max_length is not None:
        extra["max_length"] = max_length
    return Field(default=None, **extra)


def _without_defaults(schema: dict[str, Any]) -> None:
    # Fields default to None only to tell "omitted" from "sent"; null is not a valid value
    # for most of them, so the OpenAPI document must not advertise it as the default.
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class _PersonFields(Schema):
    """Every field of ``PersonDetails``, all optional; see ``PersonCreateIn``/``PersonPatchIn``.

    Lengths mirror the database columns so an over-long value is a 422, not a DB error.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_without_defaults)

    given_name: Text = _omittable(100)
    family_name: Text = _omittable(100)
    preferred_name: Text = _omittable(100)
    previous_names: list[Annotated[Text, Field(max_length=200)]] = _omittable()
    date_of_birth: IsoDate | None = Field(default=None)
    date_of_birth_is_approximate: StrictBool = _omittable()
    sex: Text = _omittable(20, json_schema_extra={"enum": list(Sex.values)})
    gender: Text = _omittable(20, json_schema_extra={"enum": ["", *Gender.values]})
    gender_description: Text = _omittable(100)
    phone: Text = _omittable(40, description="Any common format; stored and returned as E.164.")
    email: Text = _omittable(254)
    address_line_1: Text = _omittable(200)
    address_line_2: Text = _omittable(200)
    town: Text = _omittable(100)
    postcode: Text = _omittable(12)
    area_id: StrictInt | None = Field(
        default=None, ge=1, le=MAX_ID, description="An area of your network."
    )
    preferred_languages: list[Text] = _omittable(
        description=f"ISO 639-1 codes: {', '.join(LANGUAGE_NAMES)}"
    )
    interpreter_needed: StrictBool = _omittable()
    population_groups: list[Text] = _omittable(
        json_schema_extra={"items": {"type": "string", "enum": list(PopulationGroup.values)}}
    )


class IdentifierIn(Schema):
    model_config = ConfigDict(extra="forbid")

    type: Text = Field(json_schema_extra={"enum": list(IdentifierType.values)})
    value: Text = Field(max_length=60)
    issuer: Text = Field(default="", max_length=100)


class PersonCreateIn(_PersonFields):
    """A new person. Omitted fields take the defaults a new record has."""

    given_name: Text = Field(max_length=100)
    family_name: Text = Field(max_length=100)
    identifiers: list[IdentifierIn] = Field(default_factory=list)


class PersonPatchIn(_PersonFields):
    """Only the fields sent change; send "" to clear a text field, null to clear a date
    of birth or an area."""


class IdentifierOut(Schema):
    type: str
    value: str
    issuer: str


class CaseSummaryOut(Schema):
    id: int
    reference: str
    status: str
    lead_organisation: str = Field(description="The lead organisation's slug.")
    key_worker: str | None = Field(description="The key worker's username.")
    opened_on: date


class HouseholdSummaryOut(Schema):
    id: int
    name: str


class PersonSummaryOut(Schema):
    """A person in a list: enough to recognise them and see who is working with them."""

    id: int
    reference: str
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: date | None
    date_of_birth_is_approximate: bool
    postcode: str
    active_cases: list[CaseSummaryOut]


class WithheldOut(Schema):
    category: str = Field(description="The data category withheld from you.")
    reason: str = Field(description="Why, e.g. 'withheld: no consent for mental health'.")
    fields: list[str] = Field(
        default_factory=list, description="Fields of this record blanked because of it."
    )


class PersonOut(Schema):
    id: int
    reference: str
    given_name: str
    family_name: str
    preferred_name: str
    previous_names: list[str]
    date_of_birth: date | None
    date_of_birth_is_approximate: bool
    sex: str
    gender: str
    gender_description: str
    phone: str = Field(description="E.164")
    email: str
    address_line_1: str
    address_line_2: str
    town: str
    postcode: str
    area_id: int | None
    preferred_languages: list[str]
    interpreter_needed: bool
    population_groups: list[str]
    identifiers: list[IdentifierOut]
    household: HouseholdSummaryOut | None
    cases: list[CaseSummaryOut]
    withheld: list[WithheldOut] = Field(
        description="Categories you may not see, each with its reason; never silently empty."
    )
    break_glass: bool = Field(
        description="Some of this record (perhaps all of it) you see only by an emergency "
        "access: every read of it is flagged and reviewed."
    )


class HouseholdMemberOut(Schema):
    person_id: int
    name: str
    relationship: str = Field(json_schema_extra={"enum": list(Relationship.values)})


class HouseholdOut(Schema):
    id: int
    name: str
    members: list[HouseholdMemberOut] = Field(description="The members you may see.")
    hidden_members: int = Field(description="How many members you may not see.")


class OrganisationOut(Schema):
    id: int
    slug: str
    name: str
    sector: str
    kind: str


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    loc: list[str | int] = Field(description='Where: ["body", "phone"], ["query", "dob"].')
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


def with_errors(ok: dict[int, Any], *statuses: int) -> dict[int, Any]:
    """A route's success response plus the error bodies it may answer with (every route
    may answer 401), so that the OpenAPI document lists them."""
    errors = {status: ValidationErrorOut if status == 422 else ErrorOut for status in statuses}
    return {**ok, 401: ErrorOut, **errors}


ItemT = TypeVar("ItemT")


class PageOut(Schema, Generic[ItemT]):
    count: int = Field(
        description="Matches across all pages; when count_capped, at least this many."
    )
    count_capped: bool = Field(
        default=False, description="The search matched more than 1,000: count stops at 1,001."
    )
    page: int
    page_size: int
    results: list[ItemT]


# --- consent, access log, break-glass ------------------------------------------------------


class ConsentRecipientOut(Schema):
    kind: str = Field(json_schema_extra={"enum": list(RecipientKind.values)})
    organisation: str | None = Field(description="The organisation's slug (kind organisation).")
    sector: str | None = Field(
        description="Every organisation of this sector (kind sector).",
        json_schema_extra={"enum": [*Sector.values, None]},
    )


CONSENT_STATUSES = ("active", "not_yet_in_force", "expired", "withdrawn")


class ConsentOut(Schema):
    id: int
    person: int
    recipient: ConsentRecipientOut
    purpose: str = Field(json_schema_extra={"enum": list(Purpose.values)})
    purpose_detail: str
    categories: list[str] = Field(
        json_schema_extra={"items": {"type": "string", "enum": list(DataCategory.values)}}
    )
    valid_from: datetime
    valid_until: datetime | None = Field(description="Open-ended when null.")
    evidence: str = Field(json_schema_extra={"enum": list(Evidence.values)})
    evidence_note: str
    status: str = Field(
        description="Now: in force, not yet, ended, or withdrawn.",
        json_schema_extra={"enum": list(CONSENT_STATUSES)},
    )
    recorded_by: str | None = Field(description="The recording worker's username.")
    recorded_by_organisation: str | None = Field(description="Their organisation's slug.")
    recorded_at: datetime
    withdrawn_at: datetime | None


class ConsentCreateIn(Schema):
    """A consent the person gave, as told to you. Categories are data category codes; a
    sensitive category (health, mental health, substance use, legal, safety) is shared only
    when named, and substance use only with one named organisation."""

    model_config = ConfigDict(extra="forbid")

    recipient_kind: Text = Field(json_schema_extra={"enum": list(RecipientKind.values)})
    recipient_organisation: Text | None = Field(
        default=None,
        max_length=100,
        description="Slug of an organisation of your network (recipient_kind organisation).",
    )
    recipient_sector: Text = Field(
        default="",
        max_length=30,
        description="recipient_kind sector: every organisation of this sector.",
        json_schema_extra={"enum": ["", *Sector.values]},
    )
    purpose: Text = Field(json_schema_extra={"enum": list(Purpose.values)})
    purpose_detail: Text = Field(
        default="", max_length=200, description="For a referral: which one (required then)."
    )
    categories: list[Text] = Field(
        max_length=len(DataCategory),
        json_schema_extra={"items": {"type": "string", "enum": list(DataCategory.values)}},
    )
    valid_from: IsoDateTime | None = Field(
        default=None, description="Now when omitted. Without an offset: the network's time."
    )
    valid_until: IsoDateTime | None = Field(default=None, description="Open-ended when omitted.")
    evidence: Text = Field(json_schema_extra={"enum": list(Evidence.values)})
    evidence_note: Text = Field(default="", max_length=300)


class ConsentWithdrawIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(default="", max_length=300)


class AccessEventOut(Schema):
    """One look at (or refused look at) the person's record."""

    occurred_at: datetime
    actor: str = Field(description="Who: the user (or system process) as recorded then.")
    organisation: str = Field(description="Their organisation's name as recorded then.")
    role: str
    action: str = Field(description="What was opened, e.g. person.view, api.person.view.")
    purpose: str
    categories: list[str] = Field(description="The data categories shown (or asked for).")
    decision: str = Field(json_schema_extra={"enum": ["allowed", "denied"]})
    decision_reason: str
    break_glass: bool = Field(description="Seen only by an emergency access.")


class BreakGlassIn(Schema):
    model_config = ConfigDict(extra="forbid")

    person: StrictInt = Field(ge=1, le=MAX_ID, description="The person's id.")
    reason: Text = Field(json_schema_extra={"enum": list(BreakGlassReason.values)})
    justification: Text = Field(
        max_length=2000,
        description="Why you need the record now (at least 20 characters). Reviewed.",
    )


class BreakGlassOut(Schema):
    id: int
    person: int
    reason: str = Field(json_schema_extra={"enum": list(BreakGlassReason.values)})
    started_at: datetime
    expires_at: datetime = Field(description="Access ends then; every read until is flagged.")
