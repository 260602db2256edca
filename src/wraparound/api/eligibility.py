"""Eligibility: screen a person on record, or a facts document (no stored person).

Both answer, for every service and programme of the caller's network, eligible / not
eligible / unknown, each condition in plain words and the facts that would settle an
unknown. A facts document is checked against the fact model: an unknown fact or a value of
the wrong type is a 422 naming it (``["body", "household", "income_monthly"]``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Path, Router, Schema
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    create_model,
)

from wraparound.api.auth import request_actor
from wraparound.api.schemas import MAX_ID, IsoDate, with_errors
from wraparound.eligibility.engine import Screening
from wraparound.eligibility.facts import CelType, Fact, facts
from wraparound.eligibility.selectors import screen_facts, screen_person

router = Router(tags=["eligibility"])

PersonId = Path(..., ge=1, le=MAX_ID)


def _annotation(fact: Fact) -> Any:
    choices = tuple(code for code, _label in fact.choices)
    text: Any = Literal[choices] if choices else Annotated[StrictStr, Field(max_length=60)]
    match fact.type:
        case CelType.INT:
            base: Any = Annotated[StrictInt, Field(ge=-1000, le=100_000)]
        case CelType.DOUBLE:
            base = Annotated[StrictFloat | StrictInt, Field(ge=-1e9, le=1e9)]
        case CelType.BOOL:
            base = StrictBool
        case CelType.STRING:
            base = text
        case _:
            base = Annotated[list[text], Field(max_length=50)]
    return (base | None, Field(None, description=fact.source))


class _FactsSection(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _section(root: str) -> type[BaseModel]:
    fields = {
        name.split(".", 1)[1]: _annotation(fact)
        for name, fact in facts().items()
        if name.startswith(root + ".")
    }
    model: type[BaseModel] = create_model(
        f"{root.title()}FactsIn", __base__=_FactsSection, **fields
    )
    return model


PersonFactsIn = _section("person")
HouseholdFactsIn = _section("household")


class FactsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    on: IsoDate | None = Field(None, description="Screening date (parameters in force); today.")
    person: PersonFactsIn = Field(default_factory=PersonFactsIn)  # type: ignore[valid-type]
    household: HouseholdFactsIn = Field(default_factory=HouseholdFactsIn)  # type: ignore[valid-type]

    def facts(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for root in ("person", "household"):
            section = getattr(self, root).model_dump()
            for name, value in section.items():
                fact = facts()[f"{root}.{name}"]
                if value is not None and fact.type == CelType.DOUBLE:
                    value = float(value)
                values[f"{root}.{name}"] = value
        return values


class ConditionOut(Schema):
    text: str
    result: Literal["eligible", "not_eligible", "unknown"] = Field(
        description="eligible: the condition is met; not_eligible: not met; unknown."
    )
    missing: list[str]


class ScreeningOut(Schema):
    ref: str = Field(description="S-000012 for a service, PG-000003 for a programme.")
    kind: Literal["service", "programme"]
    id: int
    name: str
    organisation: str
    verdict: Literal["eligible", "not_eligible", "unknown"]
    rule: str | None = Field(description="The rule (CEL); null when open to everyone.")
    conditions: list[ConditionOut]
    missing_facts: list[str] = Field(description="Facts that would settle an unknown.")


class WithheldFactOut(Schema):
    fact: str
    reason: str


class PersonEligibilityOut(Schema):
    person_id: int
    on: date
    results: list[ScreeningOut]
    withheld_facts: list[WithheldFactOut]


class FactsEligibilityOut(Schema):
    on: date
    results: list[ScreeningOut]


def _out(result: Screening) -> ScreeningOut:
    rule = result.programme.rule
    return ScreeningOut(
        ref=result.programme.ref,
        kind=result.programme.kind,  # type: ignore[arg-type]
        id=result.programme.id,
        name=result.programme.name,
        organisation=result.programme.organisation,
        verdict=result.verdict.value,
        rule=rule.source if rule else None,
        conditions=[
            ConditionOut(text=c.text, result=c.result.value, missing=list(c.missing))
            for c in result.conditions
        ],
        missing_facts=list(result.missing),
    )


@router.get(
    "/people/{person_id}/eligibility",
    response=with_errors({200: PersonEligibilityOut}, 404, 422),
    summary="What could this person get? Screen them against every service and programme",
)
def person_eligibility(
    request: HttpRequest, person_id: int = PersonId, on: IsoDate | None = None
) -> PersonEligibilityOut:
    actor = request_actor(request)
    screening = screen_person(
        actor=actor, person_id=person_id, on=on, audit_as="api.eligibility.screen"
    )
    return PersonEligibilityOut(
        person_id=screening.person.pk,
        on=screening.on,
        results=[_out(r) for r in screening.results],
        withheld_facts=[
            WithheldFactOut(fact=name, reason=reason)
            for name, reason in screening.facts.withheld.items()
        ],
    )


@router.post(
    "/screen",
    response=with_errors({200: FactsEligibilityOut}, 400, 403, 422),
    summary="Screen a facts document (no stored person) against every service and programme",
)
def screen(request: HttpRequest, payload: FactsIn) -> FactsEligibilityOut:
    actor = request_actor(request)
    day, results = screen_facts(actor=actor, facts=payload.facts(), on=payload.on)
    return FactsEligibilityOut(on=day, results=[_out(r) for r in results])
