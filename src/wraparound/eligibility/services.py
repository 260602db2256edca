"""Writes: parameters and their dated values, rule versions, and people's circumstances.

Keyword-only, typed, atomic and audited. A rule is checked (syntax, facts, types,
parameters) before anything is written; a bad one is a ValidationError on ``expression``
and leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Role
from wraparound.audit.services import audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import Action, decide, require
from wraparound.core.models import Network
from wraparound.directory.models import Program, Service
from wraparound.directory.needs import NeedCategory
from wraparound.eligibility.cel import RuleError, check_rule
from wraparound.eligibility.engine import ParamUnit
from wraparound.eligibility.facts import (
    Benefit,
    EmploymentStatus,
    HousingStatus,
    IncomeSource,
)
from wraparound.eligibility.models import (
    Circumstances,
    Parameter,
    ParameterValue,
    Rule,
    RuleVersion,
)
from wraparound.eligibility.selectors import parameter_specs, withheld_circumstances
from wraparound.people.models import Person

MAX_MONEY = Decimal("99999999.99")


def require_network_admin(actor: Actor, network: Network) -> None:
    membership = actor.require_membership()
    if membership.role != Role.NETWORK_ADMIN or membership.organisation.network_id != network.pk:
        raise PermissionDenied("Only a network administrator may change eligibility rules")


# --- Parameters -----------------------------------------------------------------------


def parameter_create(
    *,
    actor: Actor,
    network: Network,
    name: str,
    label: str,
    unit: str,
    key_label: str = "",
    description: str = "",
) -> Parameter:
    require_network_admin(actor, network)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or not all(c.isalnum() or c == "_" for c in name) or not name[0].isalpha():
        errors["name"] = ["Use letters, digits and underscores, starting with a letter"]
    elif len(name) > 60:
        errors["name"] = ["Must be 60 characters or fewer"]
    elif Parameter.objects.filter(network=network, name=name).exists():
        errors["name"] = [f"A parameter called {name} already exists"]
    if not (label or "").strip():
        errors["label"] = ["Enter the plain words explanations use, e.g. 'low income threshold'"]
    elif len(label) > 120:
        errors["label"] = ["Must be 120 characters or fewer"]
    if unit not in ParamUnit.__members__.values():
        errors["unit"] = [f"Choose one of: {', '.join(u.value for u in ParamUnit)}"]
    key_label = (key_label or "").strip()
    if key_label and "{key}" not in key_label:
        errors["key_label"] = [
            "Write {key} where the key goes, e.g. 'for a {key}-person household'"
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        parameter = Parameter.objects.create(
            network=network,
            name=name,
            label=label.strip(),
            unit=unit,
            key_label=key_label,
            description=(description or "").strip(),
        )
        audit_record(
            actor=actor,
            action="eligibility.parameter.create",
            target=parameter,
            summary=f"Created parameter {name}",
        )
    return parameter


def parameter_value_set(
    *,
    actor: Actor,
    parameter: Parameter,
    value: Decimal | str | float,
    effective_from: dt.date,
    key: int | None = None,
    effective_to: dt.date | None = None,
) -> ParameterValue:
    """A new dated value. The value in force for the same key with no end date is ended the
    day before; any other overlap is refused. Old values are kept: the history is the table.
    """
    require_network_admin(actor, parameter.network)
    errors: dict[str, list[str]] = {}
    try:
        amount = Decimal(str(value))
        if not amount.is_finite() or abs(amount) > MAX_MONEY:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["value"] = ["Enter a number, like 1600 or 1600.50"]
        amount = Decimal(0)
    if parameter.unit == ParamUnit.YEARS and amount != amount.to_integral_value():
        errors["value"] = ["Years are whole numbers"]
    if parameter.keyed and key is None:
        errors["key"] = [f"{parameter.name} is a table: enter the key, e.g. the household size"]
    if not parameter.keyed and key is not None:
        errors["key"] = [f"{parameter.name} is a single value: leave the key empty"]
    if key is not None and (key < 0 or key > 1000):
        errors["key"] = ["Enter a key between 0 and 1000"]
    if effective_to is not None and effective_to < effective_from:
        errors["effective_to"] = ["The end date must be on or after the start date"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        same_key = ParameterValue.objects.select_for_update().filter(parameter=parameter, key=key)
        open_ended = same_key.filter(
            effective_to__isnull=True, effective_from__lt=effective_from
        ).first()
        if open_ended is not None:
            open_ended.effective_to = effective_from - dt.timedelta(days=1)
            open_ended.save(update_fields=["effective_to"])
        end = effective_to or dt.date.max
        clash = (
            same_key.filter(effective_from__lte=end)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=effective_from))
            .first()
        )
        if clash is not None:
            until = f" to {clash.effective_to:%-d %B %Y}" if clash.effective_to else ""
            raise ValidationError(
                {
                    "effective_from": [
                        f"Overlaps the value {clash.value} in force from "
                        f"{clash.effective_from:%-d %B %Y}{until}"
                    ]
                }
            )
        row = ParameterValue.objects.create(
            parameter=parameter,
            key=key,
            value=amount,
            effective_from=effective_from,
            effective_to=effective_to,
            recorded_by=actor.user,
        )
        key_text = f"[{key}]" if key is not None else ""
        audit_record(
            actor=actor,
            action="eligibility.parameter.value",
            target=row,
            summary=f"{parameter.name}{key_text} = {amount} from {effective_from:%-d %B %Y}",
        )
    return row


# --- Rules ----------------------------------------------------------------------------


def rule_save(
    *,
    actor: Actor,
    expression: str,
    summary: str = "",
    service: Service | None = None,
    program: Program | None = None,
) -> RuleVersion:
    """Check the rule and save it as the new version for the service or programme."""
    if (service is None) == (program is None):
        raise ValidationError("A rule belongs to exactly one service or programme")
    target = service if service is not None else program
    assert target is not None
    network = target.organisation.network
    require_network_admin(actor, network)
    errors: dict[str, list[str]] = {}
    try:
        checked = check_rule(expression, parameter_specs(network=network))
    except RuleError as exc:
        errors["expression"] = [exc.message]
    summary = " ".join((summary or "").split())
    if len(summary) > 300:
        errors["summary"] = ["Must be 300 characters or fewer"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if service is not None:
            rule, _ = Rule.objects.select_for_update().get_or_create(
                service=service, defaults={"network": network}
            )
        else:
            rule, _ = Rule.objects.select_for_update().get_or_create(
                program=program, defaults={"network": network}
            )
        latest = rule.versions.aggregate(n=Max("number"))["n"] or 0
        version = RuleVersion.objects.create(
            rule=rule,
            number=latest + 1,
            expression=checked.source,
            summary=summary,
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="eligibility.rule.save",
            target=version,
            summary=f"Eligibility rule v{version.number} for {target}",
            changes={"expression": [None, checked.source]},
        )
    return version


# --- Circumstances --------------------------------------------------------------------


@dataclass
class CircumstancesInput:
    """What a worker records. Lists left as None are 'not asked'; [] is 'none'."""

    income_monthly: Decimal | None = None
    income_sources: list[str] | None = None
    benefits: list[str] | None = None
    housing_status: str = ""
    employment_status: str = ""
    disabled: bool | None = None
    carer: bool | None = None
    needs: list[str] | None = None
    services_received: list[str] | None = field(default=None)


_CHOICE_LISTS: dict[str, Sequence[str]] = {
    "income_sources": IncomeSource.values,
    "benefits": Benefit.values,
    "needs": NeedCategory.values,
}
# Which category each recorded field belongs to: one may record only what one may see.
FIELD_CATEGORIES = {
    "income_monthly": DataCategory.FINANCES,
    "income_sources": DataCategory.FINANCES,
    "benefits": DataCategory.FINANCES,
    "housing_status": DataCategory.HOUSEHOLD,
    "employment_status": DataCategory.ASSESSMENTS,
    "carer": DataCategory.ASSESSMENTS,
    "needs": DataCategory.ASSESSMENTS,
    "disabled": DataCategory.HEALTH,
    "services_received": DataCategory.PLANS_REFERRALS,
}


def _clean_circumstances(data: CircumstancesInput) -> CircumstancesInput:
    errors: dict[str, list[str]] = {}
    if data.income_monthly is not None:
        try:
            amount = Decimal(str(data.income_monthly))
            if not amount.is_finite() or amount < 0 or amount > Decimal("99999999.99"):
                raise InvalidOperation
            data.income_monthly = amount.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors["income_monthly"] = ["Enter the monthly income in pounds, 0 or more"]
    for name, allowed in _CHOICE_LISTS.items():
        values = getattr(data, name)
        if values is None:
            continue
        unknown = [v for v in values if v not in allowed]
        if unknown:
            errors[name] = [f"Unknown value {unknown[0]!r}; choose from: {', '.join(allowed)}"]
        setattr(data, name, sorted(set(values)))
    if data.housing_status and data.housing_status not in HousingStatus.values:
        errors["housing_status"] = [f"Choose one of: {', '.join(HousingStatus.values)}"]
    if data.employment_status and data.employment_status not in EmploymentStatus.values:
        errors["employment_status"] = [f"Choose one of: {', '.join(EmploymentStatus.values)}"]
    if data.services_received is not None:
        refs = [" ".join(r.split()).upper() for r in data.services_received if r.strip()]
        if any(len(r) > 30 for r in refs):
            errors["services_received"] = ["Each reference must be 30 characters or fewer"]
        data.services_received = sorted(set(refs))
    if errors:
        raise ValidationError(errors)
    return data


def circumstances_record(
    *, actor: Actor, person: Person, data: CircumstancesInput
) -> Circumstances:
    """Record a new version of the person's circumstances (the latest counts)."""
    require(decide(actor=actor, person=person, action=Action.EDIT))
    cleaned = _clean_circumstances(data)
    recorded = {name for name in FIELD_CATEGORIES if getattr(cleaned, name) not in (None, "")}
    membership = actor.require_membership()
    with transaction.atomic():
        previous = (
            Circumstances.objects.select_for_update()
            .filter(person=person)
            .order_by("-version")
            .first()
        )
        latest = previous.version if previous is not None else 0
        # A value the worker may not see (another organisation recorded it, in a category
        # not shared with them) is not on their form: unless they give a new one, it is kept,
        # still credited to the organisation that recorded it, so keeping it shows it to no one.
        sources: dict[str, int] = {}
        for name in withheld_circumstances(actor=actor, person=person, row=previous):
            assert previous is not None
            if getattr(cleaned, name) in (None, ""):
                setattr(cleaned, name, getattr(previous, name))
                source = previous.source_of(name)
                if source is not None:
                    sources[name] = source
        row = Circumstances.objects.create(
            person=person,
            version=latest + 1,
            income_monthly=cleaned.income_monthly,
            income_sources=cleaned.income_sources,
            benefits=cleaned.benefits,
            housing_status=cleaned.housing_status or "",
            employment_status=cleaned.employment_status or "",
            disabled=cleaned.disabled,
            carer=cleaned.carer,
            needs=cleaned.needs,
            services_received=cleaned.services_received,
            recorded_by=actor.user,
            recorded_by_organisation_id=membership.organisation_id,
            field_sources=sources,
        )
        audit_record(
            actor=actor,
            action="eligibility.circumstances.record",
            person_id=person.pk,
            target=row,
            summary=f"Circumstances recorded (version {row.version})",
            categories=sorted({FIELD_CATEGORIES[name] for name in recorded}),
        )
    return row
