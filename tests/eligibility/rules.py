"""Rule shapes, parameters and hypothesis strategies shared by the engine tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import strategies as st

from wraparound.directory.needs import NeedCategory
from wraparound.eligibility.cel import check_rule
from wraparound.eligibility.engine import Parameters, ParamTable, ParamUnit, Programme
from wraparound.eligibility.facts import (
    Benefit,
    EmploymentStatus,
    HouseholdComposition,
    HousingStatus,
    IncomeSource,
)
from wraparound.people.choices import POPULATION_GROUP_CATEGORY, PopulationGroup

PARAMS = Parameters(
    date(2026, 4, 1),
    {
        "low_income_threshold": ParamTable(
            "low_income_threshold",
            "threshold",
            ParamUnit.MONEY,
            "for a {key}-person household",
            (1, 2, 3, 4, 6),
            (1200.0, 1600.0, 1900.0, 2200.0, 2700.0),
        ),
        "pension_age": ParamTable("pension_age", "pension age", ParamUnit.YEARS, single=66.0),
        "young_adult_max_age": ParamTable(
            "young_adult_max_age", "upper age", ParamUnit.YEARS, single=25.0
        ),
    },
)

RULE_SHAPES = [
    'household.income_monthly <= param("low_income_threshold", household.size)',
    "person.age >= 18 && person.age <= 25",
    "person.age >= 0",
    'person.area == "W05000001" || "W06000016" in person.areas',
    '"homeless" in person.population_groups || person.housing_status in '
    '["rough_sleeping", "sofa_surfing", "temporary"]',
    '"food-insecurity" in person.needs && household.income_monthly / '
    'param("low_income_threshold", household.size) <= 0.8',
    "household.children > 0 && household.income_monthly < 2500.0",
    "person.disabled || person.carer",
    '!person.disabled && person.employment_status == "unemployed"',
    "household.size >= 3 ? household.income_monthly <= 2000.0 : household.income_monthly <= 1300.0",
    '"universal_credit" in person.benefits || size(household.income_sources) == 0',
    'household.over_65 >= 1 && household.composition != "other"',
    "(household.adults * 2 + household.children) % 3 == 0 || household.size / 2 >= 2",
    '-person.age < -60 && !("pension_credit" in person.benefits)',
    'person.income_monthly + 100.0 > 10.0 * param("low_income_threshold", 1) '
    '&& person.age < param("pension_age")',
    'person.age <= param("young_adult_max_age") || person.age >= param("pension_age")',
]

PROGRAMMES = [
    Programme(
        f"PG-{i:06d}", "programme", i, f"Programme {i}", "Org", check_rule(rule, PARAMS.specs())
    )
    for i, rule in enumerate(RULE_SHAPES, start=1)
] + [Programme("PG-000099", "programme", 99, "Open to all", "Org", None)]


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


money = st.integers(min_value=0, max_value=400000).map(lambda pence: pence / 100)
small = st.integers(min_value=0, max_value=8)


def _sorted_list(values: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True, max_size=4).map(sorted)


facts_documents = st.fixed_dictionaries(
    {
        "person.age": maybe(st.integers(min_value=0, max_value=105)),
        "person.sex": maybe(st.sampled_from(["female", "male", "intersex"])),
        "person.area": maybe(st.sampled_from(["W05000001", "W05000002", "W05000003"])),
        "person.areas": maybe(
            st.sampled_from(
                [["W05000001", "W06000016"], ["W05000002", "W06000016"], ["W05000003", "W06000015"]]
            )
        ),
        "person.population_groups": maybe(
            _sorted_list([g for g in PopulationGroup.values if g not in POPULATION_GROUP_CATEGORY])
        ),
        "person.sensitive_groups": maybe(
            _sorted_list([g for g in PopulationGroup.values if g in POPULATION_GROUP_CATEGORY])
        ),
        "person.needs": maybe(_sorted_list(list(NeedCategory.values))),
        "person.housing_status": maybe(st.sampled_from(HousingStatus.values)),
        "person.employment_status": maybe(st.sampled_from(EmploymentStatus.values)),
        "person.disabled": maybe(st.booleans()),
        "person.carer": maybe(st.booleans()),
        "person.income_monthly": maybe(money),
        "person.income_sources": maybe(_sorted_list(list(IncomeSource.values))),
        "person.benefits": maybe(_sorted_list(list(Benefit.values))),
        "person.services_received": maybe(_sorted_list(["PG-000001", "PG-000002", "S-000001"])),
        "household.size": maybe(st.integers(min_value=1, max_value=9)),
        "household.adults": maybe(small),
        "household.children": maybe(small),
        "household.over_65": maybe(small),
        "household.composition": maybe(st.sampled_from(HouseholdComposition.values)),
        "household.income_monthly": maybe(money),
        "household.income_sources": maybe(_sorted_list(list(IncomeSource.values))),
    }
)


# Random well-typed rules: leaves are comparisons over facts; joined by &&, ||, ! and ? :.
_int_terms = st.sampled_from(
    [
        "person.age",
        "household.size",
        "household.children",
        "household.adults",
        'param("pension_age")',
        "7",
        "-3",
        "0",
    ]
)
_double_terms = st.sampled_from(
    [
        "household.income_monthly",
        "person.income_monthly",
        'param("low_income_threshold", household.size)',
        "1600.0",
        "0.0",
    ]
)
_ops = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
_arith = st.sampled_from(["+", "-", "*", "/"])


@st.composite
def _int_expr(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(_int_terms)
    op = draw(st.sampled_from(["+", "-", "*", "/", "%"]))
    return f"({draw(_int_terms)} {op} {draw(_int_terms)})"


@st.composite
def _double_expr(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(_double_terms)
    return f"({draw(_double_terms)} {draw(_arith)} {draw(_double_terms)})"


@st.composite
def _leaf(draw: st.DrawFn) -> str:
    kind = draw(st.integers(min_value=0, max_value=5))
    if kind == 0:
        return f"{draw(_int_expr())} {draw(_ops)} {draw(_int_expr())}"
    if kind == 1:
        return f"{draw(_double_expr())} {draw(_ops)} {draw(_double_expr())}"
    if kind == 2:
        need = draw(st.sampled_from(NeedCategory.values))
        return f'"{need}" in person.needs'
    if kind == 3:
        status = draw(st.sampled_from(HousingStatus.values))
        return f'person.housing_status == "{status}"'
    if kind == 4:
        return draw(st.sampled_from(["person.disabled", "person.carer", "true", "false"]))
    return f"size(person.benefits) {draw(_ops)} {draw(_int_terms)}"


random_rules = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} && {ab[1]})"),
        st.tuples(inner, inner).map(lambda ab: f"({ab[0]} || {ab[1]})"),
        inner.map(lambda a: f"!({a})"),
        st.tuples(inner, inner, inner).map(lambda abc: f"({abc[0]} ? {abc[1]} : {abc[2]})"),
    ),
    max_leaves=6,
)
