"""Rules are checked when saved: syntax, unknown facts and parameters, types."""

from __future__ import annotations

import pytest

from tests.eligibility.rules import PARAMS, RULE_SHAPES
from wraparound.eligibility.cel import RuleError, check_rule, unparse

SPECS = PARAMS.specs()


@pytest.mark.parametrize("rule", RULE_SHAPES)
def test_rule_shapes_check_and_unparse_to_an_equivalent_rule(rule: str) -> None:
    checked = check_rule(rule, SPECS)
    again = check_rule(unparse(checked.ast), SPECS)
    assert unparse(again.ast) == unparse(checked.ast)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "Enter the rule"),
        ("person.age >", "Syntax error at line 1, column"),
        ("person.agee > 1", "Unknown fact 'person.agee'; person facts are: person.age"),
        ("income > 1", "Unknown name 'income': facts start with one of person, household"),
        ("person.age >= 18.0", "Cannot compare a whole number (int) with a decimal number"),
        (
            "household.income_monthly <= 1600",
            "write 1600.0 to make it a decimal",
        ),
        ('person.housing_status == "homless"', '"homless" is not a value person.housing_status'),
        ('"hungry" in person.needs', '"hungry" is not a value person.needs can take'),
        ('param("nope")', "Unknown parameter 'nope'; parameters are: low_income_threshold"),
        ('param("low_income_threshold") > 1.0', "is a table: give its key"),
        ('param("pension_age", 2) > 1.0', "is a single value: it takes no key"),
        ('param("low_income_threshold", "2") > 1.0', "must be a whole number, not text"),
        ("person.age + 1", "A rule must be true or false, but this one is a whole number"),
        ('"a" in person.age', "The right side of 'in' must be a list"),
        ("person.needs == []", "Lists cannot be compared with ==: use size(...) or 'in'"),
        ('person.needs.exists(x, x == "a")', "Rules cannot call .exists()"),
        ('person.age > 1 ? 1 : "a"', "Both sides of ? : must be the same type"),
        ("person.age && true", "The left side of && must be true or false (bool)"),
        ("null == null", "Rules cannot use null"),
        ("{'a': 1}", "Rules cannot use map lit"),
        ("timestamp('2020-01-01T00:00:00Z') > 1", "Unknown function 'timestamp'"),
        ("person.age % 2.0 == 0.0", "Cannot compute a whole number (int) % a decimal number"),
        ("household.income_monthly % 2.0 == 0.0", "% works on whole numbers only"),
        ("x" * 4001, "4000 characters or fewer"),
    ],
)
def test_bad_rules_are_refused_with_a_precise_error(rule: str, message: str) -> None:
    with pytest.raises(RuleError) as error:
        check_rule(rule, SPECS)
    assert message in error.value.message


def test_errors_say_where() -> None:
    with pytest.raises(RuleError) as error:
        check_rule('person.age > 1 && person.housing_status == "castle"', SPECS)
    assert error.value.column == 44
    assert "(at column 44)" in error.value.message
