"""The engine: three-valued logic, explanations, agreement with cel-python and with the
bulk (DuckDB) engine on generated households."""

from __future__ import annotations

from typing import Any

import celpy
import pytest
from celpy import celtypes
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.eligibility.rules import PARAMS, PROGRAMMES, facts_documents, random_rules
from wraparound.eligibility.bulk import bulk_verdicts, facts_table
from wraparound.eligibility.cel import check_rule
from wraparound.eligibility.engine import (
    Explainer,
    Programme,
    Screener,
    Verdict,
    compile_node,
    money,
)

SPECS = PARAMS.specs()


def verdict(rule: str, facts: dict[str, Any]) -> Verdict:
    checked = check_rule(rule, SPECS)
    return Screener([Programme("PG-1", "programme", 1, "P", "O", checked)], PARAMS).verdicts(facts)[
        0
    ]


@pytest.mark.parametrize(
    ("rule", "facts", "expected"),
    [
        ("person.age >= 18 && person.disabled", {"person.age": 10}, Verdict.NOT_ELIGIBLE),
        ("person.disabled && person.age >= 18", {"person.age": 10}, Verdict.NOT_ELIGIBLE),
        ("person.age >= 18 && person.disabled", {"person.age": 20}, Verdict.UNKNOWN),
        ("person.age >= 18 || person.disabled", {"person.age": 20}, Verdict.ELIGIBLE),
        ("person.disabled || person.age >= 18", {"person.age": 10}, Verdict.UNKNOWN),
        ("!person.disabled", {}, Verdict.UNKNOWN),
        ("!person.disabled", {"person.disabled": False}, Verdict.ELIGIBLE),
        ("person.carer ? person.age > 1 : person.age > 100", {"person.age": 5}, Verdict.UNKNOWN),
        (
            "person.carer ? person.age > 1 : false",
            {"person.carer": True, "person.age": 5},
            Verdict.ELIGIBLE,
        ),
        ('"food-insecurity" in person.needs', {"person.needs": []}, Verdict.NOT_ELIGIBLE),
        ('"food-insecurity" in person.needs', {}, Verdict.UNKNOWN),
        ("household.size / 0 == 1", {"household.size": 2}, Verdict.UNKNOWN),
        (
            "household.size / 2 == 1 && -7 / 2 == -3 && -7 % 3 == -1",
            {"household.size": 3},
            Verdict.ELIGIBLE,
        ),
    ],
)
def test_three_valued_logic(rule: str, facts: dict[str, Any], expected: Verdict) -> None:
    assert verdict(rule, facts) == expected


def test_table_parameters_take_the_largest_key_not_above() -> None:
    table = PARAMS.tables["low_income_threshold"]
    assert table.lookup(1) == 1200.0
    assert table.lookup(5) == 2200.0  # 4-person row
    assert table.lookup(9) == 2700.0  # "6 or more"
    assert table.lookup(0) is None
    assert table.lookup(None) is None


def test_explanations_in_plain_words() -> None:
    rule = check_rule(
        'household.income_monthly <= param("low_income_threshold", household.size) '
        '&& "food-insecurity" in person.needs && person.disabled',
        SPECS,
    )
    facts = {"household.income_monthly": 1420.0, "household.size": 2, "person.needs": []}
    conditions = Explainer(PARAMS).explain(rule, facts)
    assert [(c.text, c.result) for c in conditions] == [
        (
            "monthly income £1,420 ≤ £1,600 threshold for a 2-person household",
            Verdict.ELIGIBLE,
        ),
        ("assessed needs do not include “Food insecurity”", Verdict.NOT_ELIGIBLE),
        ("disabled: not known", Verdict.UNKNOWN),
    ]
    assert conditions[2].missing == ("person.disabled",)


def test_unknown_lists_the_facts_that_would_settle_it() -> None:
    rule = check_rule("person.age >= 18 && (person.carer || person.disabled)", SPECS)
    screener = Screener([Programme("PG-1", "programme", 1, "Carers", "O", rule)], PARAMS)
    [result] = screener.screen({"person.age": 40})
    assert result.verdict == Verdict.UNKNOWN
    assert result.missing == ("person.carer", "person.disabled")
    assert result.missing_labels == ["caring responsibilities", "disabled"]


def test_money_formatting() -> None:
    assert money(1420) == "£1,420"
    assert money(1420.5) == "£1,420.50"


# --- Agreement with cel-python ---------------------------------------------------------

_ENV = celpy.Environment()


def _cel_value(value: Any) -> Any:
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    return celtypes.ListType([_cel_value(v) for v in value])


def _activation(facts: dict[str, Any]) -> dict[str, Any]:
    roots: dict[str, dict[Any, Any]] = {"person": {}, "household": {}}
    for name, value in facts.items():
        if value is None:
            continue  # left out: reading it is an error, CEL's own "unknown"
        root, leaf = name.split(".")
        roots[root][celtypes.StringType(leaf)] = _cel_value(value)
    return {root: celtypes.MapType(values) for root, values in roots.items()}


def _param(name: Any, key: Any = None) -> Any:
    value = PARAMS.value(str(name), int(key) if key is not None else None)
    if value is None:
        raise ValueError("no value in force")
    return _cel_value(value)


def celpy_verdict(rule: str, facts: dict[str, Any]) -> Verdict:
    program = _ENV.program(_ENV.compile(rule), functions={"param": _param})
    try:
        result = program.evaluate(_activation(facts))
    except celpy.CELEvalError:
        return Verdict.UNKNOWN
    if isinstance(result, celpy.CELEvalError):
        return Verdict.UNKNOWN
    return Verdict.ELIGIBLE if bool(result) else Verdict.NOT_ELIGIBLE


def _no_zero_money(facts: dict[str, Any]) -> dict[str, Any]:
    # cel-python divides doubles by zero to infinity; we call it unknown (as SQL does).
    # Keep money non-zero so the two agree by construction on everything else.
    return {k: (1.0 if isinstance(v, float) and v == 0 else v) for k, v in facts.items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=random_rules, facts=facts_documents)
def test_random_rules_agree_with_cel_python(rule: str, facts: dict[str, Any]) -> None:
    assume("/ 0.0" not in rule)
    facts = _no_zero_money(facts)
    assert verdict(rule, facts) == celpy_verdict(rule, facts), rule


@settings(max_examples=150, deadline=None)
@given(facts=facts_documents)
def test_rule_shapes_agree_with_cel_python(facts: dict[str, Any]) -> None:
    facts = _no_zero_money(facts)
    screener = Screener(PROGRAMMES, PARAMS)
    for programme, ours in zip(PROGRAMMES, screener.verdicts(facts), strict=True):
        if programme.rule is not None:
            assert ours == celpy_verdict(programme.rule.source, facts), programme.rule.source


# --- Agreement with the bulk engine ----------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(households=st.lists(facts_documents, min_size=1, max_size=40))
def test_bulk_engine_equals_single_engine_on_every_answer(
    households: list[dict[str, Any]],
) -> None:
    screener = Screener(PROGRAMMES, PARAMS)
    table = facts_table(enumerate(households))
    bulk = bulk_verdicts(table, PROGRAMMES, PARAMS)
    for person_id, facts in enumerate(households):
        assert bulk[person_id] == screener.verdicts(facts), facts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.lists(random_rules, min_size=1, max_size=5),
    households=st.lists(facts_documents, min_size=1, max_size=15),
)
def test_bulk_engine_equals_single_engine_on_random_rules(
    rules: list[str], households: list[dict[str, Any]]
) -> None:
    programmes = [
        Programme(f"PG-{i:06d}", "programme", i, "P", "O", check_rule(rule, SPECS))
        for i, rule in enumerate(rules)
    ]
    screener = Screener(programmes, PARAMS)
    bulk = bulk_verdicts(facts_table(enumerate(households)), programmes, PARAMS)
    for person_id, facts in enumerate(households):
        assert bulk[person_id] == screener.verdicts(facts), (rules, facts)


def test_compiled_and_checked_rule_share_the_ast() -> None:
    rule = check_rule("person.age + 1 > 18", SPECS)
    assert compile_node(rule.ast, PARAMS)({"person.age": 18}) is True
