"""A small network with parameters, rules and people to screen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client

from tests import factories as f
from tests.api.clients import bearer_client
from tests.conftest import Personas
from tests.eligibility import factories as ef
from wraparound.accounts.actor import Actor
from wraparound.accounts.services import api_token_create
from wraparound.core.models import Area
from wraparound.directory.models import Service
from wraparound.eligibility.models import Parameter
from wraparound.people.models import Person


@dataclass
class Setup:
    personas: Personas
    district: Area
    town: Area
    elsewhere: Area
    threshold: Parameter
    food_bank: Service  # low income and a food need
    youth: Service  # 16 to 25
    carers: Service  # carers, or disabled
    open_service: Service  # no rule
    person: Person  # 40, household of 2 with a partner, income 900 + 520


def api_client(user: object) -> Client:
    _, raw = api_token_create(actor=Actor.system("test"), user=user)  # type: ignore[arg-type]
    return bearer_client(raw)


@pytest.fixture
def setup(personas: Personas) -> Setup:
    network = personas.network
    region = f.AreaFactory(network=network, level="region", name="Wales", code="W92000004")
    district = f.AreaFactory(
        network=network, level="district", parent=region, name="Rhondda", code="W06000016"
    )
    town = f.AreaFactory(
        network=network, level="neighbourhood", parent=district, name="Treorchy", code="W05000001"
    )
    elsewhere = f.AreaFactory(
        network=network, level="district", parent=region, name="Merthyr", code="W06000024"
    )
    threshold = ef.ParameterFactory(network=network, name="low_income_threshold", label="threshold")
    for key, value in ((1, 1200), (2, 1600), (3, 1900), (5, 2400)):
        ef.ParameterValueFactory(
            parameter=threshold, key=key, value=value, effective_from=dt.date(2020, 1, 1)
        )
    org = personas.partner_org

    def service(name: str, rule: str | None, **kwargs: object) -> Service:
        s = ef.ServiceFactory(organisation=org, name=name, **kwargs)
        if rule is not None:
            ef.RuleVersionFactory(rule=ef.RuleFactory(service=s), number=1, expression=rule)
        return s

    food_bank = service(
        "Food bank",
        'household.income_monthly <= param("low_income_threshold", household.size) '
        '&& "food-insecurity" in person.needs',
    )
    youth = service("Youth hub", "person.age >= 16 && person.age <= 25")
    carers = service("Carers support", "person.carer || person.disabled")
    open_service = service("Advice line", None)
    person = f.PersonFactory(
        network=network,
        registered_by=personas.one_stop,
        date_of_birth=dt.date(1985, 6, 1),
        area=town,
    )
    partner = f.PersonFactory(
        network=network, registered_by=personas.one_stop, date_of_birth=dt.date(1986, 1, 1)
    )
    household = f.HouseholdFactory(network=network, name="Evans")
    f.HouseholdMemberFactory(household=household, person=person, relationship="head")
    f.HouseholdMemberFactory(household=household, person=partner, relationship="partner")
    ef.CircumstancesFactory(
        person=person,
        income_monthly=900,
        needs=["food-insecurity"],
        # Another organisation's record: its health answers are not shared with the one-stop.
        recorded_by_organisation=personas.partner_org,
    )
    ef.CircumstancesFactory(
        person=partner, income_monthly=520, recorded_by_organisation=personas.one_stop
    )
    return Setup(
        personas,
        district,
        town,
        elsewhere,
        threshold,
        food_bank,
        youth,
        carers,
        open_service,
        person,
    )
