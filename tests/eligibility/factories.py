"""Factories for the eligibility app (and the directory rows its tests need)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from tests.factories import NetworkFactory, OrganisationFactory, PersonFactory
from wraparound.directory.models import Program, Service, ServiceArea, ServiceNeed
from wraparound.eligibility.models import (
    Circumstances,
    Parameter,
    ParameterValue,
    Rule,
    RuleVersion,
)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Eligibility test service {n}")
    status = "active"
    capacity_total = 10
    capacity_available = 3
    last_modified = factory.LazyFunction(timezone.now)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Eligibility test programme {n}")
    description = "A programme"


class ServiceNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceNeed

    service = factory.SubFactory(ServiceFactory)
    need = "food-insecurity"


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea

    service = factory.SubFactory(ServiceFactory)
    name = factory.LazyAttribute(lambda o: o.area.name if o.area else "Area")


class ParameterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Parameter

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"param_{n}")
    label = "threshold"
    unit = "money"
    key_label = "for a {key}-person household"


class ParameterValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParameterValue

    parameter = factory.SubFactory(ParameterFactory)
    key = 1
    value = 1000
    effective_from = dt.date(2020, 1, 1)


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    service = factory.SubFactory(ServiceFactory)
    network = factory.SelfAttribute("service.organisation.network")


class RuleVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleVersion

    rule = factory.SubFactory(RuleFactory)
    number = factory.Sequence(lambda n: n + 1)
    expression = "person.age >= 18"


class CircumstancesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Circumstances

    person = factory.SubFactory(PersonFactory)
    version = 1
    income_monthly = 1000
    income_sources = factory.LazyFunction(lambda: ["employment"])
    benefits = factory.LazyFunction(list)
    needs = factory.LazyFunction(list)
    services_received = factory.LazyFunction(list)
