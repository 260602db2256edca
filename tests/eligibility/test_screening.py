"""Screening people on record: facts through the access policy, verdicts, explanations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from tests import factories as f
from tests.eligibility import factories as ef
from tests.eligibility.conftest import Setup
from wraparound.audit.models import AuditEvent, AuditKind
from wraparound.eligibility.engine import Verdict
from wraparound.eligibility.selectors import (
    eligible_service_ids,
    facts_for_people,
    gaps_report,
    screen_facts,
    screen_person,
)

ON = dt.date(2026, 4, 1)


def by_name(screening):  # type: ignore[no-untyped-def]
    return {r.programme.name: r for r in screening.results}


def test_a_person_is_screened_against_every_service(setup: Setup) -> None:
    actor = setup.personas.actor(setup.personas.keyworker)
    screening = screen_person(actor=actor, person_id=setup.person.pk, on=ON)
    results = by_name(screening)
    assert results["Food bank"].verdict == Verdict.ELIGIBLE
    assert [c.text for c in results["Food bank"].conditions] == [
        "monthly income £1,420 ≤ £1,600 threshold for a 2-person household",
        "assessed needs include “Food insecurity”",
    ]
    assert results["Youth hub"].verdict == Verdict.NOT_ELIGIBLE
    assert results["Carers support"].verdict == Verdict.UNKNOWN
    # Disability is health data: withheld from the key worker without consent.
    assert results["Carers support"].missing == ("person.carer", "person.disabled")
    assert "person.disabled" in screening.facts.withheld
    assert results["Advice line"].verdict == Verdict.ELIGIBLE
    assert results["Advice line"].conditions == ()


def test_screening_is_audited_as_a_read_of_the_categories_used(setup: Setup) -> None:
    actor = setup.personas.actor(setup.personas.keyworker)
    screen_person(actor=actor, person_id=setup.person.pk, on=ON)
    event = AuditEvent.objects.filter(action="eligibility.screen").get()
    assert event.kind == AuditKind.READ
    assert event.person_id == setup.person.pk
    assert {"finances", "household", "assessments", "identity"} <= set(event.categories)
    assert "health" not in event.categories


def test_someone_the_actor_may_not_see_is_not_found(setup: Setup) -> None:
    actor = setup.personas.actor(setup.personas.outsider)
    with pytest.raises(Http404):
        screen_person(actor=actor, person_id=setup.person.pk, on=ON)
    assert not AuditEvent.objects.filter(action="eligibility.screen", decision="allowed").exists()


def test_household_income_is_unknown_when_a_member_is_hidden(setup: Setup) -> None:
    hidden = f.PersonFactory(network=setup.personas.network, date_of_birth=dt.date(2010, 1, 1))
    household = setup.person.household_link.household
    f.HouseholdMemberFactory(household=household, person=hidden, relationship="child")
    actor = setup.personas.actor(setup.personas.keyworker)
    sheet = facts_for_people(actor=actor, people=[setup.person], on=ON)[setup.person.pk]
    assert sheet.values["household.size"] == 3
    assert sheet.values["household.income_monthly"] is None
    assert sheet.values["household.children"] is None  # the hidden member's age
    results = by_name(screen_person(actor=actor, person_id=setup.person.pk, on=ON))
    assert results["Food bank"].verdict == Verdict.UNKNOWN
    assert results["Food bank"].missing == ("household.income_monthly",)


def test_household_facts_from_members(setup: Setup) -> None:
    actor = setup.personas.actor(setup.personas.keyworker)
    sheet = facts_for_people(actor=actor, people=[setup.person], on=ON)[setup.person.pk]
    assert sheet.values["household.size"] == 2
    assert sheet.values["household.adults"] == 2
    assert sheet.values["household.children"] == 0
    assert sheet.values["household.composition"] == "couple"
    assert sheet.values["household.income_monthly"] == pytest.approx(1420.0)
    assert sheet.values["household.income_sources"] == ["employment"]
    assert sheet.values["person.areas"] == ["W05000001", "W06000016", "W92000004"]
    assert sheet.values["person.age"] == 40


def test_parameters_follow_the_screening_date(setup: Setup) -> None:
    ef.ParameterValueFactory(
        parameter=setup.threshold, key=2, value=1300, effective_from=dt.date(2027, 1, 1)
    )
    setup.threshold.values.filter(key=2, effective_from=dt.date(2020, 1, 1)).update(
        effective_to=dt.date(2026, 12, 31)
    )
    actor = setup.personas.actor(setup.personas.keyworker)
    later = by_name(screen_person(actor=actor, person_id=setup.person.pk, on=dt.date(2027, 2, 1)))
    assert later["Food bank"].verdict == Verdict.NOT_ELIGIBLE
    assert "£1,300 threshold for a 2-person household" in later["Food bank"].conditions[0].text


def test_eligible_service_ids_for_the_directory(setup: Setup) -> None:
    actor = setup.personas.actor(setup.personas.keyworker)
    assert eligible_service_ids(actor=actor, person=setup.person) == {
        setup.food_bank.pk,
        setup.open_service.pk,
    }


def test_a_facts_document_is_screened_without_a_person(setup: Setup) -> None:
    actor = setup.personas.actor(setup.personas.keyworker)
    day, results = screen_facts(actor=actor, facts={"person.age": 19, "person.carer": True}, on=ON)
    verdicts = {r.programme.name: r.verdict for r in results}
    assert day == ON
    assert verdicts == {
        "Advice line": Verdict.ELIGIBLE,
        "Carers support": Verdict.ELIGIBLE,
        "Food bank": Verdict.UNKNOWN,
        "Youth hub": Verdict.ELIGIBLE,
    }


def _person_with_need(setup: Setup, need: str, area: object) -> None:
    person = f.PersonFactory(
        network=setup.personas.network, registered_by=setup.personas.one_stop, area=area
    )
    ef.CircumstancesFactory(person=person, income_monthly=100, needs=[need])


def test_gaps_report_counts_needs_with_no_service_and_hides_small_counts(setup: Setup) -> None:
    ef.ServiceNeedFactory(service=setup.food_bank, need="food-insecurity")
    ef.ServiceAreaFactory(service=setup.food_bank, area=setup.district)
    for _ in range(6):  # no service at all for utilities
        _person_with_need(setup, "utility-insecurity", setup.town)
    for _ in range(2):  # food: the food bank does not serve Merthyr
        _person_with_need(setup, "food-insecurity", setup.elsewhere)
    for _ in range(3):  # food in Treorchy: served (eligible, capacity, area)
        _person_with_need(setup, "food-insecurity", setup.town)
    report = gaps_report(actor=setup.personas.actor(setup.personas.manager), on=ON)
    rows = {(r.area, r.need): r for r in report.rows}
    assert rows[("Treorchy", "utility-insecurity")].shown == "6"
    assert rows[("Merthyr", "food-insecurity")].shown == "fewer than 5"
    assert ("Treorchy", "food-insecurity") not in rows


def test_a_full_service_is_a_gap(setup: Setup) -> None:
    ef.ServiceNeedFactory(service=setup.food_bank, need="food-insecurity")
    setup.food_bank.capacity_available = 0
    setup.food_bank.save()
    report = gaps_report(actor=setup.personas.actor(setup.personas.manager), on=ON)
    assert [(r.area, r.need) for r in report.rows] == [("Treorchy", "food-insecurity")]
