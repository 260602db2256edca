"""The fact model: what an eligibility rule may ask about a person and their household.

Every fact has a dotted name (``person.age``), a CEL type, plain words for explanations, the
data category it belongs to (a fact the actor may not see is *unknown*, never guessed), and,
for enumerated text facts, the values it can take. ``docs/eligibility-facts.md`` is generated
from this table's content and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from wraparound.consent.categories import DataCategory
from wraparound.people.choices import POPULATION_GROUP_CATEGORY, PopulationGroup

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CelType(StrEnum):
    INT = "int"
    DOUBLE = "double"
    STRING = "string"
    BOOL = "bool"
    LIST_STRING = "list(string)"
    LIST_INT = "list(int)"
    LIST_DOUBLE = "list(double)"
    LIST_EMPTY = "list"  # an empty list literal: fits any list type


LIST_ELEMENT = {
    CelType.LIST_STRING: CelType.STRING,
    CelType.LIST_INT: CelType.INT,
    CelType.LIST_DOUBLE: CelType.DOUBLE,
}
LIST_OF = {element: list_type for list_type, element in LIST_ELEMENT.items()}


class Format(StrEnum):
    MONEY = "money"  # pounds
    COUNT = "count"
    YEARS = "years"
    TEXT = "text"
    LIST = "list"
    YES_NO = "yes_no"
    RATIO = "ratio"


class HousingStatus(models.TextChoices):
    OWNER = "owner", _("Owns their home")
    SOCIAL_RENT = "social_rent", _("Rents from a council or housing association")
    PRIVATE_RENT = "private_rent", _("Rents privately")
    LIVING_WITH_FAMILY = "living_with_family", _("Living with family or friends")
    TEMPORARY = "temporary", _("In temporary accommodation")
    SOFA_SURFING = "sofa_surfing", _("Sofa surfing")
    ROUGH_SLEEPING = "rough_sleeping", _("Sleeping rough")
    SUPPORTED = "supported", _("In supported housing")


class EmploymentStatus(models.TextChoices):
    EMPLOYED_FULL_TIME = "employed_full_time", _("Employed full time")
    EMPLOYED_PART_TIME = "employed_part_time", _("Employed part time")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    UNEMPLOYED = "unemployed", _("Unemployed and looking for work")
    STUDENT = "student", _("In education or training")
    RETIRED = "retired", _("Retired")
    UNABLE_TO_WORK = "unable_to_work", _("Unable to work (illness or disability)")
    CARING = "caring", _("Not working: caring for someone")


class IncomeSource(models.TextChoices):
    EMPLOYMENT = "employment", _("Wages")
    SELF_EMPLOYMENT = "self_employment", _("Self-employment")
    BENEFITS = "benefits", _("Benefits")
    PENSION = "pension", _("Pension")
    MAINTENANCE = "maintenance", _("Child maintenance")
    OTHER = "other", _("Other income")


class Benefit(models.TextChoices):
    UNIVERSAL_CREDIT = "universal_credit", _("Universal Credit")
    PENSION_CREDIT = "pension_credit", _("Pension Credit")
    PIP = "pip", _("Personal Independence Payment")
    ESA = "esa", _("Employment and Support Allowance")
    CARERS_ALLOWANCE = "carers_allowance", _("Carer's Allowance")
    CHILD_BENEFIT = "child_benefit", _("Child Benefit")
    HOUSING_BENEFIT = "housing_benefit", _("Housing Benefit")
    COUNCIL_TAX_REDUCTION = "council_tax_reduction", _("Council Tax Reduction")
    ATTENDANCE_ALLOWANCE = "attendance_allowance", _("Attendance Allowance")


class HouseholdComposition(models.TextChoices):
    SINGLE = "single", _("One adult")
    COUPLE = "couple", _("A couple")
    LONE_PARENT = "lone_parent", _("One adult with children")
    COUPLE_WITH_CHILDREN = "couple_with_children", _("A couple with children")
    OTHER = "other", _("Other adults, with or without children")


def need_choices() -> list[tuple[str, StrOrPromise]]:
    """The need categories services are filed under (the directory's vocabulary)."""
    from wraparound.directory.needs import NeedCategory

    return list(NeedCategory.choices)


@dataclass(frozen=True)
class Fact:
    name: str
    type: CelType
    label: str  # plain words, as in "monthly income £1,420"
    format: Format
    category: DataCategory
    source: str
    choices: tuple[tuple[str, StrOrPromise], ...] = ()

    @property
    def column(self) -> str:
        """The column that holds it in the bulk engine's table."""
        return self.name.replace(".", "__")

    def value_label(self, value: str) -> str:
        return str(dict(self.choices).get(value, value))


def _facts() -> dict[str, Fact]:
    needs = tuple(need_choices())
    facts = [
        Fact(
            "person.age",
            CelType.INT,
            gettext_noop("age"),
            Format.YEARS,
            DataCategory.IDENTITY,
            "Person's date of birth, on the screening date",
        ),
        Fact(
            "person.sex",
            CelType.STRING,
            gettext_noop("sex"),
            Format.TEXT,
            DataCategory.IDENTITY,
            "Person's recorded sex",
            (("female", "Female"), ("male", "Male"), ("intersex", "Intersex")),
        ),
        Fact(
            "person.area",
            CelType.STRING,
            gettext_noop("area code"),
            Format.TEXT,
            DataCategory.IDENTITY,
            "Code of the area the person lives in (unknown when the address is withheld)",
        ),
        Fact(
            "person.areas",
            CelType.LIST_STRING,
            gettext_noop("areas lived in"),
            Format.LIST,
            DataCategory.IDENTITY,
            "Codes of the person's area and every area containing it "
            '(so `"W06000016" in person.areas` matches a whole district)',
        ),
        Fact(
            "person.population_groups",
            CelType.LIST_STRING,
            gettext_noop("population groups"),
            Format.LIST,
            DataCategory.IDENTITY,
            "Population groups recorded on the person that reveal nothing sensitive",
            tuple(c for c in PopulationGroup.choices if c[0] not in POPULATION_GROUP_CATEGORY),
        ),
        Fact(
            "person.sensitive_groups",
            CelType.LIST_STRING,
            gettext_noop("sensitive population groups"),
            Format.LIST,
            DataCategory.SAFETY,
            "Population groups that reveal health, mental health, substance use, legal or "
            "safety information (unknown unless the actor may see all of those)",
            tuple(c for c in PopulationGroup.choices if c[0] in POPULATION_GROUP_CATEGORY),
        ),
        Fact(
            "person.needs",
            CelType.LIST_STRING,
            gettext_noop("assessed needs"),
            Format.LIST,
            DataCategory.ASSESSMENTS,
            "Need categories from the latest circumstances",
            needs,
        ),
        Fact(
            "person.housing_status",
            CelType.STRING,
            gettext_noop("housing"),
            Format.TEXT,
            DataCategory.HOUSEHOLD,
            "Housing status from the latest circumstances",
            tuple(HousingStatus.choices),
        ),
        Fact(
            "person.employment_status",
            CelType.STRING,
            gettext_noop("employment"),
            Format.TEXT,
            DataCategory.ASSESSMENTS,
            "Employment status from the latest circumstances",
            tuple(EmploymentStatus.choices),
        ),
        Fact(
            "person.disabled",
            CelType.BOOL,
            gettext_noop("disabled"),
            Format.YES_NO,
            DataCategory.HEALTH,
            "Has a disability or long-term condition (latest circumstances)",
        ),
        Fact(
            "person.carer",
            CelType.BOOL,
            gettext_noop("caring responsibilities"),
            Format.YES_NO,
            DataCategory.ASSESSMENTS,
            "Looks after someone who is ill, disabled or older (latest circumstances)",
        ),
        Fact(
            "person.income_monthly",
            CelType.DOUBLE,
            gettext_noop("own monthly income"),
            Format.MONEY,
            DataCategory.FINANCES,
            "The person's own monthly income, pounds (latest circumstances)",
        ),
        Fact(
            "person.income_sources",
            CelType.LIST_STRING,
            gettext_noop("income sources"),
            Format.LIST,
            DataCategory.FINANCES,
            "Where the person's income comes from (latest circumstances)",
            tuple(IncomeSource.choices),
        ),
        Fact(
            "person.benefits",
            CelType.LIST_STRING,
            gettext_noop("benefits received"),
            Format.LIST,
            DataCategory.FINANCES,
            "Benefits the person receives (latest circumstances)",
            tuple(Benefit.choices),
        ),
        Fact(
            "person.services_received",
            CelType.LIST_STRING,
            gettext_noop("services already received"),
            Format.LIST,
            DataCategory.PLANS_REFERRALS,
            "References of services and programmes the person already receives "
            "(S-000012 for a service, PG-000003 for a programme)",
        ),
        Fact(
            "household.size",
            CelType.INT,
            gettext_noop("household size"),
            Format.COUNT,
            DataCategory.HOUSEHOLD,
            "People in the household (1 for someone in no recorded household)",
        ),
        Fact(
            "household.adults",
            CelType.INT,
            gettext_noop("adults in the household"),
            Format.COUNT,
            DataCategory.HOUSEHOLD,
            "Members aged 18 or over (unknown if any member's age is unknown to the actor)",
        ),
        Fact(
            "household.children",
            CelType.INT,
            gettext_noop("children in the household"),
            Format.COUNT,
            DataCategory.HOUSEHOLD,
            "Members under 18 (unknown if any member's age is unknown to the actor)",
        ),
        Fact(
            "household.over_65",
            CelType.INT,
            gettext_noop("household members aged 65 or over"),
            Format.COUNT,
            DataCategory.HOUSEHOLD,
            "Members aged 65 or over (unknown if any member's age is unknown to the actor)",
        ),
        Fact(
            "household.composition",
            CelType.STRING,
            gettext_noop("household"),
            Format.TEXT,
            DataCategory.HOUSEHOLD,
            "Shape of the household, from its members' ages and relationships",
            tuple(HouseholdComposition.choices),
        ),
        Fact(
            "household.income_monthly",
            CelType.DOUBLE,
            gettext_noop("monthly income"),
            Format.MONEY,
            DataCategory.FINANCES,
            "Sum of every member's monthly income, pounds (unknown if any is unknown)",
        ),
        Fact(
            "household.income_sources",
            CelType.LIST_STRING,
            gettext_noop("household income sources"),
            Format.LIST,
            DataCategory.FINANCES,
            "Every source of any member's income (unknown if any member's is unknown)",
            tuple(IncomeSource.choices),
        ),
    ]
    return {fact.name: fact for fact in facts}


_FACTS: dict[str, Fact] | None = None


def facts() -> dict[str, Fact]:
    """Every fact, by name (built once: the need vocabulary is the directory's)."""
    global _FACTS
    if _FACTS is None:
        _FACTS = _facts()
    return _FACTS


FACT_ROOTS = ("person", "household")


def facts_markdown() -> str:
    """docs/eligibility-facts.md: the fact model as a table (a test keeps the file in step)."""
    lines = [
        "# Eligibility facts",
        "",
        "What an eligibility rule (CEL) may read about a person and their household. Generated",
        "from `src/wraparound/eligibility/facts.py` (`facts_markdown()`); a test fails when the",
        "two differ. A fact nobody recorded, or one the worker may not see (its data category is",
        "withheld from them), is *unknown*: rules are evaluated in three-valued logic and the",
        "screening names the facts that would settle an unknown.",
        "",
        'Parameters are read with `param("name")` or, for a table, `param("name", key)`;',
        "values in years are whole numbers (int), money and other numbers decimals (double).",
        "",
        "| fact | type | data category | plain words | where it comes from | values |",
        "|---|---|---|---|---|---|",
    ]
    for fact in facts().values():
        values = ", ".join(f"`{code}`" for code, _label in fact.choices)
        lines.append(
            f"| `{fact.name}` | {fact.type.value} | {fact.category.label} | {fact.label} "
            f"| {fact.source} | {values} |"
        )
    lines += [
        "",
        "## Examples",
        "",
        "```",
        'household.income_monthly <= param("low_income_threshold", household.size)',
        'person.age >= 16 && person.age <= param("young_person_max_age")',
        '"W06000016" in person.areas',
        '"homeless" in person.population_groups || person.housing_status == "rough_sleeping"',
        '"food-insecurity" in person.needs && household.children >= 1',
        'household.income_monthly / param("low_income_threshold", household.size) <= 0.8',
        "```",
        "",
    ]
    return "\n".join(lines)
