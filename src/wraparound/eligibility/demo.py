"""Demo data for eligibility: parameters, rules of different shapes, circumstances.

Configuration (parameters, rules) is written with the ORM, each rule checked first exactly
as the service would; people's circumstances go through ``circumstances_record`` as a worker
of the organisation that registered them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Membership
from wraparound.core.models import Area, AreaLevel, Network
from wraparound.directory.models import Program, Service
from wraparound.directory.needs import NeedCategory
from wraparound.eligibility.cel import check_rule
from wraparound.eligibility.facts import (
    Benefit,
    EmploymentStatus,
    HousingStatus,
    IncomeSource,
)
from wraparound.eligibility.models import Parameter, ParameterValue, Rule, RuleVersion
from wraparound.eligibility.selectors import parameter_specs
from wraparound.eligibility.services import CircumstancesInput, circumstances_record
from wraparound.people.models import Person

# Monthly household income thresholds by household size (6 = "6 or more"), two years.
THRESHOLDS = {
    dt.date(2025, 4, 1): {1: 1150, 2: 1550, 3: 1850, 4: 2150, 5: 2400, 6: 2650},
    dt.date(2026, 4, 1): {1: 1200, 2: 1600, 3: 1900, 4: 2200, 5: 2450, 6: 2700},
}


def _parameters(network: Network) -> None:
    threshold, _ = Parameter.objects.get_or_create(
        network=network,
        name="low_income_threshold",
        defaults={
            "label": "low income threshold",
            "unit": "money",
            "key_label": "for a {key}-person household",
            "description": "Monthly household income below which households count as low "
            "income, by household size; the 6 row is for 6 or more.",
        },
    )
    for start, table in THRESHOLDS.items():
        end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
        last = start == max(THRESHOLDS)
        for size, value in table.items():
            ParameterValue.objects.get_or_create(
                parameter=threshold,
                key=size,
                effective_from=start,
                defaults={"value": Decimal(value), "effective_to": None if last else end},
            )
    singles = {
        "pension_age": ("State Pension age", "years", 66),
        "young_person_max_age": ("upper age for young people's services", "years", 25),
        "crisis_income_limit": ("crisis payment income limit", "money", 800),
    }
    for name, (label, unit, value) in singles.items():
        parameter, _ = Parameter.objects.get_or_create(
            network=network, name=name, defaults={"label": label, "unit": unit}
        )
        ParameterValue.objects.get_or_create(
            parameter=parameter,
            key=None,
            effective_from=dt.date(2025, 4, 1),
            defaults={"value": Decimal(value)},
        )


def _rules_for(service: Service, districts: list[Area], rng: random.Random) -> tuple[str, str]:
    """A rule of a shape that suits what the service is for."""
    needs = set(service.need_codes)
    income = 'household.income_monthly <= param("low_income_threshold", household.size)'
    if NeedCategory.FOOD_INSECURITY in needs:
        return (
            f'{income} || "food-insecurity" in person.needs',
            "Low-income households, or anyone assessed as short of food",
        )
    if needs & {NeedCategory.HOMELESSNESS, NeedCategory.HOUSING_INSTABILITY}:
        return (
            '"homeless" in person.population_groups || person.housing_status in '
            '["rough_sleeping", "sofa_surfing", "temporary"]',
            "People who are homeless or at risk of homelessness",
        )
    if NeedCategory.FINANCIAL_INSECURITY in needs:
        return (
            'household.income_monthly / param("low_income_threshold", household.size) '
            '<= 0.8 || household.income_monthly <= param("crisis_income_limit")',
            "Households on less than 80% of the low income threshold",
        )
    if NeedCategory.EMPLOYMENT_STATUS in needs:
        return (
            'person.age >= 16 && person.age < param("pension_age") && '
            'person.employment_status in ["unemployed", "student", "caring"]',
            "People of working age who are out of work",
        )
    if needs & {NeedCategory.CAREGIVER_SUPPORT, NeedCategory.DISABILITY_SUPPORT}:
        return ("person.carer || person.disabled", "Carers and disabled people")
    if NeedCategory.SOCIAL_CONNECTION in needs:
        return ("person.age >= 65 || household.over_65 >= 1", "Households with someone 65 or over")
    if NeedCategory.CHILDCARE in needs:
        return (
            f"household.children >= 1 && {income}",
            "Low-income families with children",
        )
    if districts and rng.random() < 0.5:
        district = rng.choice(districts)
        return (
            f'"{district.code}" in person.areas',
            f"People living in {district.name}",
        )
    return (
        'person.age >= 16 && person.age <= param("young_person_max_age") || '
        '"care_leaver" in person.population_groups',
        "Young people aged 16 to 25, and care leavers",
    )


def _circumstances(person: Person, rng: random.Random) -> CircumstancesInput:
    working = rng.random() < 0.45
    sources = [IncomeSource.EMPLOYMENT] if working else []
    benefits: list[str] = []
    if not working or rng.random() < 0.3:
        sources.append(IncomeSource.BENEFITS)
        benefits = rng.sample(
            [Benefit.UNIVERSAL_CREDIT, Benefit.HOUSING_BENEFIT, Benefit.COUNCIL_TAX_REDUCTION],
            k=rng.randint(1, 2),
        )
    income = Decimal(rng.randrange(900, 2600)) if working else Decimal(rng.randrange(300, 1100))
    needs = rng.sample(
        [
            NeedCategory.FOOD_INSECURITY,
            NeedCategory.FINANCIAL_INSECURITY,
            NeedCategory.HOUSING_INSTABILITY,
            NeedCategory.EMPLOYMENT_STATUS,
            NeedCategory.MENTAL_HEALTH,
            NeedCategory.SOCIAL_CONNECTION,
            NeedCategory.UTILITY_INSECURITY,
            NeedCategory.TRANSPORTATION_INSECURITY,
            NeedCategory.LEGAL_NEEDS,
        ],
        k=rng.randint(0, 3),
    )
    return CircumstancesInput(
        income_monthly=income if rng.random() < 0.85 else None,
        income_sources=[str(s) for s in sources],
        benefits=[str(b) for b in benefits],
        housing_status=rng.choice(HousingStatus.values),
        employment_status=(
            rng.choice([EmploymentStatus.EMPLOYED_FULL_TIME, EmploymentStatus.EMPLOYED_PART_TIME])
            if working
            else rng.choice(
                [
                    EmploymentStatus.UNEMPLOYED,
                    EmploymentStatus.RETIRED,
                    EmploymentStatus.UNABLE_TO_WORK,
                    EmploymentStatus.CARING,
                    EmploymentStatus.STUDENT,
                ]
            )
        ),
        disabled=rng.random() < 0.2 if rng.random() < 0.8 else None,
        carer=rng.random() < 0.15 if rng.random() < 0.8 else None,
        needs=[str(n) for n in needs],
        services_received=[],
    )


def seed_eligibility(
    *,
    network: Network,
    services: Sequence[Service],
    rng: random.Random,
    share_with_circumstances: float = 0.7,
) -> dict[str, int]:
    """Parameters, a rule for most services and every programme, and circumstances for
    most people of the network. Returns counts for the seed's summary."""
    _parameters(network)
    specs = parameter_specs(network=network)
    districts = list(Area.objects.filter(network=network, level=AreaLevel.DISTRICT))
    rules = 0
    with transaction.atomic():
        for service in services:
            if rng.random() < 0.15:
                continue  # open to everyone
            expression, summary = _rules_for(service, districts, rng)
            check_rule(expression, specs)  # as the service would: a bad demo rule fails loudly
            rule, _ = Rule.objects.get_or_create(service=service, defaults={"network": network})
            if not rule.versions.exists():
                RuleVersion.objects.create(
                    rule=rule, number=1, expression=expression, summary=summary
                )
                rules += 1
        for program in Program.objects.filter(organisation__network=network):
            expression = (
                'household.income_monthly <= param("low_income_threshold", household.size) '
                "&& household.children >= 1"
            )
            check_rule(expression, specs)
            rule, _ = Rule.objects.get_or_create(program=program, defaults={"network": network})
            if not rule.versions.exists():
                RuleVersion.objects.create(
                    rule=rule,
                    number=1,
                    expression=expression,
                    summary="Low-income families with children",
                )
                rules += 1
    writers: dict[int, Actor | None] = {}
    recorded = 0
    for person in Person.objects.filter(network=network).order_by("pk"):
        if person.registered_by_id is None or rng.random() > share_with_circumstances:
            continue
        if person.registered_by_id not in writers:
            membership = (
                Membership.objects.filter(
                    organisation_id=person.registered_by_id,
                    role__in=CASEWORK_ROLES,
                    is_active=True,
                )
                .select_related("organisation__network", "user")
                .order_by("pk")
                .first()
            )
            writers[person.registered_by_id] = (
                Actor.system("seed", membership=membership) if membership else None
            )
        actor = writers[person.registered_by_id]
        if actor is None:
            continue
        circumstances_record(actor=actor, person=person, data=_circumstances(person, rng))
        recorded += 1
    return {"rules": rules, "circumstances": recorded}
