"""The compiled screener is reused between requests, and rebuilt the moment anything it
depends on changes: a new rule version, a parameter value, a service renamed or added."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.eligibility import factories as ef
from wraparound.eligibility.selectors import network_screener, screen_anonymous

FACTS = {
    "person.age": 20,
    "household.size": 2,
    "household.income_monthly": 1500.0,
    "person.needs": ["food-insecurity"],
}


def verdicts(setup):  # type: ignore[no-untyped-def]
    _day, results = screen_anonymous(network=setup.personas.network, facts=FACTS)
    return {r.programme.name: r.verdict for r in results}


def test_reused_while_nothing_changes(setup):
    day = timezone.localdate()
    first = network_screener(network=setup.personas.network, on=day)[1]
    with CaptureQueriesContext(connection) as queries:
        again = network_screener(network=setup.personas.network, on=day)[1]
    assert again is first
    assert len(queries) <= 8  # the fingerprint only


def test_a_new_rule_version_applies_at_once(setup):
    assert verdicts(setup)["Youth hub"] == "eligible"
    ef.RuleVersionFactory(
        rule=setup.youth.eligibility_rule, number=2, expression="person.age >= 21"
    )
    assert verdicts(setup)["Youth hub"] == "not_eligible"


def test_a_parameter_value_applies_at_once(setup):
    assert verdicts(setup)["Food bank"] == "eligible"  # 1500 <= 1600 for two people
    setup.threshold.values.filter(key=2).update(value=1400)
    assert verdicts(setup)["Food bank"] == "not_eligible"


def test_services_added_and_renamed_show_at_once(setup):
    verdicts(setup)
    setup.open_service.name = "Advice line (new name)"
    setup.open_service.save()
    ef.ServiceFactory(organisation=setup.personas.partner_org, name="Brand new service")
    names = set(verdicts(setup))
    assert {"Advice line (new name)", "Brand new service"} <= names


def test_a_new_day_rebuilds(setup):
    today = timezone.localdate()
    first = network_screener(network=setup.personas.network, on=today)[1]
    tomorrow = network_screener(network=setup.personas.network, on=today + dt.timedelta(days=1))[1]
    assert tomorrow is not first
