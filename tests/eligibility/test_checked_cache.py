"""Checked rules are cached by content: row ids are reused (after a rollback, on SQLite), and a
parameter removed since makes the same text fail."""

from wraparound.eligibility.cel import ParamSpec
from wraparound.eligibility.models import RuleVersion
from wraparound.eligibility.selectors import checked_version


def test_two_versions_with_the_same_id_are_checked_apart():
    older = RuleVersion(pk=1, expression="person.age >= 65")
    younger = RuleVersion(pk=1, expression="person.age < 25")
    assert checked_version(older, {}) is not checked_version(younger, {})
    checked = checked_version(younger, {})
    assert checked is not None
    assert checked.source == "person.age < 25"


def test_a_rule_whose_parameter_was_removed_no_longer_checks():
    version = RuleVersion(pk=7, expression='household.income_monthly <= param("ceiling_q", 1)')
    spec = ParamSpec(name="ceiling_q", keyed=True)
    assert checked_version(version, {"ceiling_q": spec}) is not None
    assert checked_version(version, {}) is None
