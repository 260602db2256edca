"""The questions a citizen answers, one per page, each settling one or more eligibility
facts (eligibility/facts.py). Only the questions whose facts some programme's rule reads are
asked (the check) or the union of what the chosen programmes read (applying).

A blank answer, or "I would rather not say", leaves the fact unknown: the programmes that
need it show as "maybe" with what would settle it, never as a refusal."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.functional import Promise

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
from django.utils.translation import gettext_lazy as _

from wraparound.core.models import Area, AreaLevel, Network
from wraparound.directory.needs import NeedCategory
from wraparound.eligibility.facts import (
    Benefit,
    EmploymentStatus,
    HouseholdComposition,
    HousingStatus,
    IncomeSource,
)
from wraparound.people.choices import POPULATION_GROUP_CATEGORY, PopulationGroup

Answers = dict[str, Any]  # field name -> JSON-able value, as kept in the session
RATHER_NOT = "rather_not_say"
RATHER_NOT_LABEL = _("I would rather not say")
YES_NO = (("yes", _("Yes")), ("no", _("No")), (RATHER_NOT, RATHER_NOT_LABEL))


def _yes_no(value: Any) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _number(value: Any) -> float | None:
    return float(value) if value not in (None, "") else None


def _whole(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def _choice(value: Any) -> str | None:
    return value if value not in (None, "", RATHER_NOT) else None


def _many(value: Any) -> list[str] | None:
    # An empty list is an answer ("none of these"); None (not answered) is unknown.
    return list(value) if isinstance(value, list) else None


@dataclass(frozen=True)
class Question:
    slug: str
    facts: tuple[str, ...]  # the facts it settles
    title: str | Promise  # the page heading, also the label of a single field
    hint: str | Promise
    fields: Callable[[Network], dict[str, forms.Field]]
    to_facts: Callable[[Answers, Network], dict[str, Any]]
    # The form's field names, when they are not just the slug.
    names: tuple[str, ...] = ()

    def form_class(self, network: Network) -> type[forms.Form]:
        return type(f"{self.slug.title()}QuestionForm", (forms.Form,), self.fields(network))

    def answered(self, answers: Answers) -> bool:
        return any(name in answers for name in self.fields_names)

    @property
    def fields_names(self) -> tuple[str, ...]:
        return self.names or (self.slug,)


def _money_field(label: StrOrPromise) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(1_000_000),
        decimal_places=2,
        error_messages={
            "invalid": _("Enter an amount of money in pounds, like 1250 or 1250.50"),
            "min_value": _("The amount must be 0 or more"),
            "max_value": _("The amount must be less than £1,000,000 a month"),
            "max_decimal_places": _("Enter pounds and pence with no more than 2 decimal places"),
        },
    )


def _count_field(label: StrOrPromise, *, minimum: int = 0) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=minimum,
        max_value=30,
        error_messages={
            "invalid": _("Enter a whole number, like 2"),
            "min_value": _("The number must be %(limit_value)s or more"),
            "max_value": _("The number must be 30 or fewer"),
        },
    )


def _radios(choices: Iterable[tuple[str, Any]], *, rather_not: bool = True) -> forms.ChoiceField:
    options = [*choices, *([(RATHER_NOT, RATHER_NOT_LABEL)] if rather_not else [])]
    return forms.ChoiceField(
        label="",
        required=False,
        choices=options,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the options")},
    )


def _boxes(choices: Iterable[tuple[str, Any]]) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="",
        required=False,
        choices=list(choices),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose from the options shown")},
    )


def neighbourhoods(network: Network) -> list[Area]:
    return list(
        Area.objects.filter(network=network, level=AreaLevel.NEIGHBOURHOOD)
        .select_related("parent__parent")
        .order_by("name")
    )


def _area_facts(answers: Answers, network: Network) -> dict[str, Any]:
    code = _choice(answers.get("area"))
    if code is None:
        return {"person.area": None, "person.areas": None}
    area = Area.objects.filter(network=network, code=code).select_related("parent__parent").first()
    if area is None:
        return {"person.area": None, "person.areas": None}
    return {"person.area": area.code, "person.areas": [a.code for a in area.lineage()]}


def _household_facts(answers: Answers, network: Network) -> dict[str, Any]:
    adults, children, older = (_whole(answers.get(k)) for k in ("adults", "children", "over_65"))
    size = adults + children if adults is not None and children is not None else None
    return {
        "household.adults": adults,
        "household.children": children,
        "household.over_65": older,
        "household.size": size,
    }


OPEN_GROUPS = tuple(c for c in PopulationGroup.choices if c[0] not in POPULATION_GROUP_CATEGORY)
SENSITIVE_GROUPS = tuple(c for c in PopulationGroup.choices if c[0] in POPULATION_GROUP_CATEGORY)

QUESTIONS: tuple[Question, ...] = (
    Question(
        "age",
        ("person.age",),
        _("How old are you?"),
        _("In years. Some help is only for people of a certain age."),
        lambda n: {
            "age": forms.IntegerField(
                label=_("How old are you?"),
                required=False,
                min_value=0,
                max_value=120,
                error_messages={
                    "invalid": _("Enter your age as a whole number, like 34"),
                    "min_value": _("Age must be 0 or more"),
                    "max_value": _("Age must be 120 or less"),
                },
            )
        },
        lambda a, n: {"person.age": _whole(a.get("age"))},
    ),
    Question(
        "sex",
        ("person.sex",),
        _("What is your sex?"),
        _("A few services are for women only or men only."),
        lambda n: {
            "sex": _radios(
                (("female", _("Female")), ("male", _("Male")), ("intersex", _("Intersex")))
            )
        },
        lambda a, n: {"person.sex": _choice(a.get("sex"))},
    ),
    Question(
        "area",
        ("person.area", "person.areas"),
        _("Where do you live?"),
        _("Choose your neighbourhood. Many services only cover some areas."),
        lambda n: {
            "area": forms.ChoiceField(
                label=_("Where do you live?"),
                required=False,
                choices=[("", _("Choose your neighbourhood"))]
                + [
                    (a.code, f"{a.name} ({a.parent.name if a.parent else ''})")
                    for a in neighbourhoods(n)
                ]
                + [(RATHER_NOT, RATHER_NOT_LABEL)],
                error_messages={"invalid_choice": _("Choose a neighbourhood from the list")},
            )
        },
        _area_facts,
    ),
    Question(
        "household",
        ("household.size", "household.adults", "household.children", "household.over_65"),
        _("Who lives with you?"),
        _("Count everyone who lives in your home, including you."),
        lambda n: {
            "adults": _count_field(_("Adults aged 18 or over, including you"), minimum=1),
            "children": _count_field(_("Children under 18")),
            "over_65": _count_field(_("Of the adults, how many are 65 or over?")),
        },
        _household_facts,
        names=("adults", "children", "over_65"),
    ),
    Question(
        "composition",
        ("household.composition",),
        _("Which best describes your household?"),
        "",
        lambda n: {"composition": _radios(HouseholdComposition.choices)},
        lambda a, n: {"household.composition": _choice(a.get("composition"))},
    ),
    Question(
        "housing",
        ("person.housing_status",),
        _("Where are you living at the moment?"),
        "",
        lambda n: {"housing": _radios(HousingStatus.choices)},
        lambda a, n: {"person.housing_status": _choice(a.get("housing"))},
    ),
    Question(
        "employment",
        ("person.employment_status",),
        _("Are you working at the moment?"),
        "",
        lambda n: {"employment": _radios(EmploymentStatus.choices)},
        lambda a, n: {"person.employment_status": _choice(a.get("employment"))},
    ),
    Question(
        "disabled",
        ("person.disabled",),
        _("Do you have a disability or a long-term health condition?"),
        _("One that affects your day-to-day life and has lasted, or will last, a year or more."),
        lambda n: {"disabled": _radios(YES_NO[:2])},
        lambda a, n: {"person.disabled": _yes_no(a.get("disabled"))},
    ),
    Question(
        "carer",
        ("person.carer",),
        _("Do you look after someone who is ill, disabled or older?"),
        _("Without being paid for it."),
        lambda n: {"carer": _radios(YES_NO[:2])},
        lambda a, n: {"person.carer": _yes_no(a.get("carer"))},
    ),
    Question(
        "income",
        ("person.income_monthly",),
        _("How much money do you get each month?"),
        _(
            "Your own income before anything is taken off, in pounds. Include wages, "
            "benefits and pensions. Leave it blank if you would rather not say."
        ),
        lambda n: {"income": _money_field(_("Your monthly income in pounds"))},
        lambda a, n: {"person.income_monthly": _number(a.get("income"))},
    ),
    Question(
        "household_income",
        ("household.income_monthly",),
        _("How much money does your whole household get each month?"),
        _(
            "Everyone's income added together, including yours, in pounds. Leave it "
            "blank if you would rather not say."
        ),
        lambda n: {"household_income": _money_field(_("Household monthly income in pounds"))},
        lambda a, n: {"household.income_monthly": _number(a.get("household_income"))},
    ),
    Question(
        "income_sources",
        ("person.income_sources",),
        _("Where does your money come from?"),
        _("Select all that apply. Select none if you have no income."),
        lambda n: {"income_sources": _boxes(IncomeSource.choices)},
        lambda a, n: {"person.income_sources": _many(a.get("income_sources"))},
    ),
    Question(
        "household_income_sources",
        ("household.income_sources",),
        _("Where does your household's money come from?"),
        _("Select all that apply, for everyone in your home."),
        lambda n: {"household_income_sources": _boxes(IncomeSource.choices)},
        lambda a, n: {"household.income_sources": _many(a.get("household_income_sources"))},
    ),
    Question(
        "benefits",
        ("person.benefits",),
        _("Do you get any of these benefits?"),
        _("Select all that apply. Select none if you get none of them."),
        lambda n: {"benefits": _boxes(Benefit.choices)},
        lambda a, n: {"person.benefits": _many(a.get("benefits"))},
    ),
    Question(
        "needs",
        ("person.needs",),
        _("What would you like help with?"),
        _("Select all that apply."),
        lambda n: {"needs": _boxes(NeedCategory.choices)},
        lambda a, n: {"person.needs": _many(a.get("needs"))},
    ),
    Question(
        "groups",
        ("person.population_groups",),
        _("Do any of these describe you?"),
        _("Select all that apply. Some services are for these groups."),
        lambda n: {"groups": _boxes(OPEN_GROUPS)},
        lambda a, n: {"person.population_groups": _many(a.get("groups"))},
    ),
    Question(
        "sensitive_groups",
        ("person.sensitive_groups",),
        _("Do any of these describe you?"),
        _(
            "You do not have to answer. Your answer is not stored unless you choose to "
            "apply, and it helps find services that are only for these groups."
        ),
        lambda n: {"sensitive_groups": _boxes(SENSITIVE_GROUPS)},
        lambda a, n: {"person.sensitive_groups": _many(a.get("sensitive_groups"))},
    ),
)

QUESTIONS_BY_SLUG = {q.slug: q for q in QUESTIONS}


def questions_for(facts_needed: Iterable[str]) -> list[Question]:
    """The questions that settle at least one of the facts, in the order above."""
    needed = set(facts_needed)
    return [q for q in QUESTIONS if needed.intersection(q.facts)]


def facts_from_answers(
    answers: Answers, network: Network, questions: Iterable[Question]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in questions:
        if q.answered(answers):
            out.update(q.to_facts(answers, network))
    return out


def jsonable(cleaned: Mapping[str, Any]) -> Answers:
    """Form data as the session keeps it (decimals as strings)."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in cleaned.items()}
