"""Factories for the directory's models (organisations: tests/factories.py)."""

from __future__ import annotations

from datetime import time

import factory

from tests.factories import NetworkFactory, OrganisationFactory
from wraparound.directory.models import (
    Location,
    Program,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceNeed,
    Taxonomy,
    TaxonomyTerm,
)
from wraparound.directory.needs import NeedCategory, PriorityClass


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Programme {n}")
    description = "A programme of services"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "Help for people who need it"
    status = "active"
    priority_class = PriorityClass.SUPPORTIVE
    capacity_total = 20
    capacity_available = 5


class ServiceNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceNeed

    service = factory.SubFactory(ServiceFactory)
    need = NeedCategory.FOOD_INSECURITY


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"Office {n}")


class ServiceAtLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceAtLocation

    service = factory.SubFactory(ServiceFactory)
    location = factory.SubFactory(
        LocationFactory, network=factory.SelfAttribute("..service.organisation.network")
    )


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Schedule

    service = factory.SubFactory(ServiceFactory)
    freq = "WEEKLY"
    byday = "MO,TU,WE,TH,FR"
    opens_at = time(9)
    closes_at = time(17)


class TaxonomyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Taxonomy

    name = factory.Sequence(lambda n: f"Taxonomy {n}")
    description = "A vocabulary"


class TaxonomyTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxonomyTerm

    name = factory.Sequence(lambda n: f"Term {n}")
    description = "A term"
    code = factory.Sequence(lambda n: f"term-{n}")
