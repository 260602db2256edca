"""Writes: rules (checked, versioned), dated parameter values, circumstances."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from tests import factories as f
from tests.eligibility import factories as ef
from tests.eligibility.conftest import Setup
from wraparound.audit.models import AuditEvent
from wraparound.eligibility.demo import seed_eligibility
from wraparound.eligibility.models import Circumstances, Parameter, ParameterValue, Rule
from wraparound.eligibility.selectors import (
    facts_for_people,
    parameters_on,
    programmes_for_network,
)
from wraparound.eligibility.services import (
    CircumstancesInput,
    circumstances_record,
    parameter_create,
    parameter_value_set,
    rule_save,
)


def test_a_rule_is_saved_as_a_new_version_each_time(setup: Setup) -> None:
    admin = setup.personas.actor(setup.personas.netadmin)
    v1 = rule_save(actor=admin, service=setup.open_service, expression="person.age >= 18")
    v2 = rule_save(
        actor=admin, service=setup.open_service, expression="person.age >= 21", summary="21+"
    )
    assert (v1.number, v2.number) == (1, 2)
    assert list(v2.rule.versions.order_by("number").values_list("expression", flat=True)) == [
        "person.age >= 18",
        "person.age >= 21",
    ]
    assert AuditEvent.objects.filter(action="eligibility.rule.save").count() == 2


def test_a_bad_rule_is_refused_and_nothing_is_saved(setup: Setup) -> None:
    admin = setup.personas.actor(setup.personas.netadmin)
    before = Rule.objects.count()
    with pytest.raises(ValidationError) as error:
        rule_save(actor=admin, service=setup.open_service, expression="household.income > 1")
    assert "Unknown fact 'household.income'" in error.value.message_dict["expression"][0]
    assert Rule.objects.count() == before
    with pytest.raises(ValidationError) as error:
        rule_save(actor=admin, service=setup.open_service, expression='param("nope") > 1.0')
    assert "Unknown parameter 'nope'" in error.value.message_dict["expression"][0]


def test_only_network_administrators_edit_rules(setup: Setup) -> None:
    with pytest.raises(PermissionDenied):
        rule_save(
            actor=setup.personas.actor(setup.personas.keyworker),
            service=setup.open_service,
            expression="true",
        )


def test_a_rule_for_a_programme(setup: Setup) -> None:
    admin = setup.personas.actor(setup.personas.netadmin)
    program = ef.ProgramFactory(organisation=setup.personas.partner_org)
    rule_save(actor=admin, program=program, expression="household.children >= 1")
    refs = {p.ref: p for p in programmes_for_network(network=setup.personas.network).programmes}
    assert refs[f"PG-{program.pk:06d}"].rule is not None


def test_a_new_parameter_value_ends_the_one_in_force(setup: Setup) -> None:
    admin = setup.personas.actor(setup.personas.netadmin)
    parameter_value_set(
        actor=admin,
        parameter=setup.threshold,
        key=2,
        value="1700",
        effective_from=dt.date(2026, 4, 1),
    )
    rows = list(
        ParameterValue.objects.filter(parameter=setup.threshold, key=2).order_by("effective_from")
    )
    assert [(r.value, r.effective_from, r.effective_to) for r in rows] == [
        (Decimal("1600.00"), dt.date(2020, 1, 1), dt.date(2026, 3, 31)),
        (Decimal("1700.00"), dt.date(2026, 4, 1), None),
    ]
    network = setup.personas.network
    assert (
        parameters_on(network=network, on=dt.date(2026, 3, 31)).value("low_income_threshold", 2)
        == 1600.0
    )
    assert (
        parameters_on(network=network, on=dt.date(2026, 4, 1)).value("low_income_threshold", 2)
        == 1700.0
    )


def test_overlapping_and_bad_parameter_values_are_refused(setup: Setup) -> None:
    admin = setup.personas.actor(setup.personas.netadmin)
    with pytest.raises(ValidationError) as error:
        parameter_value_set(
            actor=admin,
            parameter=setup.threshold,
            key=2,
            value=1,
            effective_from=dt.date(2019, 1, 1),
        )
    assert "Overlaps the value 1600.00 in force from 1 January 2020" in str(error.value)
    with pytest.raises(ValidationError) as error:
        parameter_value_set(
            actor=admin, parameter=setup.threshold, value="lots", effective_from=dt.date(2030, 1, 1)
        )
    assert set(error.value.message_dict) == {"value", "key"}
    assert ParameterValue.objects.filter(parameter=setup.threshold).count() == 4


def test_parameter_create_checks_its_fields(setup: Setup) -> None:
    admin = setup.personas.actor(setup.personas.netadmin)
    with pytest.raises(ValidationError) as error:
        parameter_create(
            actor=admin,
            network=setup.personas.network,
            name="low_income_threshold",
            label="",
            unit="furlongs",
            key_label="per household",
        )
    assert set(error.value.message_dict) == {"name", "label", "unit", "key_label"}
    created = parameter_create(
        actor=admin,
        network=setup.personas.network,
        name="max_age",
        label="maximum age",
        unit="years",
    )
    assert not created.keyed
    assert Parameter.objects.filter(network=setup.personas.network).count() == 2


def test_circumstances_are_versioned_and_checked(setup: Setup) -> None:
    actor = setup.personas.actor(setup.personas.keyworker)
    row = circumstances_record(
        actor=actor,
        person=setup.person,
        data=CircumstancesInput(income_monthly=Decimal("950.5"), needs=["food-insecurity"]),
    )
    assert row.version == 2
    assert row.income_monthly == Decimal("950.50")
    with pytest.raises(ValidationError) as error:
        circumstances_record(
            actor=actor,
            person=setup.person,
            data=CircumstancesInput(
                income_monthly=Decimal(-1), needs=["hunger"], housing_status="castle"
            ),
        )
    assert set(error.value.message_dict) == {"income_monthly", "needs", "housing_status"}
    assert Circumstances.objects.filter(person=setup.person).count() == 2


def test_withheld_circumstances_are_kept_and_stay_withheld(setup: Setup) -> None:
    actor = setup.personas.actor(setup.personas.keyworker)
    partner_org = setup.personas.partner_org
    setup.person.circumstances.update(disabled=True)  # recorded by the partner organisation
    row = circumstances_record(
        actor=actor, person=setup.person, data=CircumstancesInput(carer=True)
    )
    assert row.disabled is True  # health: kept from the version before...
    assert row.field_sources == {"disabled": partner_org.pk}  # ...and still theirs
    assert row.recorded_by_organisation_id == setup.personas.one_stop.pk
    sheet = facts_for_people(actor=actor, people=[setup.person], on=dt.date(2026, 4, 1))
    assert "person.disabled" in sheet[setup.person.pk].withheld
    assert sheet[setup.person.pk].values["person.carer"] is True
    # What the worker learns themselves they may record, and then see.
    row = circumstances_record(
        actor=actor, person=setup.person, data=CircumstancesInput(disabled=False)
    )
    assert row.field_sources == {}
    sheet = facts_for_people(actor=actor, people=[setup.person], on=dt.date(2026, 4, 1))
    assert sheet[setup.person.pk].values["person.disabled"] is False


def test_people_one_may_not_edit_get_no_circumstances(setup: Setup) -> None:
    with pytest.raises(PermissionDenied):
        circumstances_record(
            actor=setup.personas.actor(setup.personas.outsider),
            person=setup.person,
            data=CircumstancesInput(carer=True),
        )


def test_screen_bulk_writes_who_is_likely_eligible_but_not_receiving(
    setup: Setup, tmp_path: Path
) -> None:
    out = tmp_path / "outreach.parquet"
    call_command("screen_bulk", out=str(out), user="keyworker", on="2026-04-01")
    table = pq.read_table(out).to_pylist()
    got = {(r["person_id"], r["programme_name"]) for r in table}
    partner = setup.person.household_link.household.members.exclude(person=setup.person).get()
    assert (setup.person.pk, "Food bank") in got
    assert (setup.person.pk, "Advice line") in got
    assert (partner.person_id, "Advice line") in got
    assert (setup.person.pk, "Youth hub") not in got
    assert AuditEvent.objects.filter(action="eligibility.screen_bulk").count() == 2
    # Already receiving: not listed again.
    setup.person.circumstances.update(services_received=[f"S-{setup.food_bank.pk:06d}"])
    call_command("screen_bulk", out=str(out), user="keyworker", on="2026-04-01")
    again = {(r["person_id"], r["programme_name"]) for r in pq.read_table(out).to_pylist()}
    assert (setup.person.pk, "Food bank") not in again


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"out": "x.csv", "user": "keyworker"}, "must end in .parquet"),
        ({"out": "/no/such/dir/x.parquet", "user": "keyworker"}, "does not exist"),
        ({"out": "x.parquet", "user": "nobody"}, "--user nobody"),
        ({"out": "x.parquet", "user": "keyworker", "on": "1 April"}, "--on 1 April"),
    ],
)
def test_screen_bulk_refuses_bad_arguments(
    setup: Setup, tmp_path: Path, args: dict[str, str], message: str
) -> None:
    if not args["out"].startswith("/"):
        args = {**args, "out": str(tmp_path / args["out"])}
    with pytest.raises(CommandError, match=message):
        call_command("screen_bulk", **args)


def test_demo_seeds_parameters_rules_and_circumstances(setup: Setup) -> None:
    network = setup.personas.network
    extra = [ef.ServiceFactory(organisation=setup.personas.partner_org) for _ in range(8)]
    for service, need in zip(
        extra,
        [
            "food-insecurity",
            "homelessness",
            "financial-insecurity",
            "employment-status",
            "caregiver-support",
            "social-connection",
            "childcare",
            "legal-needs",
        ],
        strict=True,
    ):
        ef.ServiceNeedFactory(service=service, need=need)
    for _ in range(5):
        f.PersonFactory(network=network, registered_by=setup.personas.one_stop)
    counts = seed_eligibility(
        network=network, services=extra, rng=random.Random(4), share_with_circumstances=1.0
    )
    assert counts["rules"] >= 6
    assert counts["circumstances"] == 7
    names = set(Parameter.objects.filter(network=network).values_list("name", flat=True))
    assert {"low_income_threshold", "pension_age", "young_person_max_age"} <= names
    found = programmes_for_network(network=network)
    assert found.broken == []
