"""Factories and helpers for referrals: a consented referral from the one-stop to a
partner's service is the common starting point."""

from __future__ import annotations

from typing import Any

from tests.conftest import Personas
from tests.directory.factories import ServiceFactory, ServiceNeedFactory
from wraparound.consent.models import Evidence, Purpose, RecipientKind
from wraparound.consent.services import consent_record
from wraparound.directory.models import Service
from wraparound.directory.needs import NeedCategory
from wraparound.people.models import Person
from wraparound.referrals.models import Referral
from wraparound.referrals.services import referral_create


def housing_service(personas: Personas, **kwargs: Any) -> Service:
    service = ServiceFactory(
        organisation=personas.partner_org,
        name=kwargs.pop("name", "Tenancy support"),
        **{"capacity_total": 2, "capacity_available": 2, **kwargs},
    )
    ServiceNeedFactory(service=service, need=NeedCategory.HOUSING_INSTABILITY)
    return service


def consent_to(personas: Personas, person: Person, organisation: Any, *categories: str) -> None:
    consent_record(
        actor=personas.actor(personas.keyworker),
        person=person,
        recipient_kind=RecipientKind.ORGANISATION,
        recipient_organisation=organisation,
        purpose=Purpose.CARE_COORDINATION,
        categories=list(categories) or ["assessments"],
        evidence=Evidence.VERBAL,
    )


def refer(personas: Personas, person: Person, service: Service, **kwargs: Any) -> Referral:
    return referral_create(
        actor=personas.actor(kwargs.pop("by", personas.keyworker)),
        person=person,
        service=service,
        need=kwargs.pop("need", NeedCategory.HOUSING_INSTABILITY),
        reason=kwargs.pop("reason", "Rent arrears and a notice to quit"),
        **kwargs,
    )
