"""Appointments and flags over the API: booking (409 with conflicts), calendars, flags."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f
from tests.directory.factories import ServiceFactory, ServiceNeedFactory
from tests.referrals.factories import consent_to
from wraparound.accounts.actor import Actor
from wraparound.appointments.models import Appointment
from wraparound.enrolments.models import Enrolment
from wraparound.flags.services import flags_refresh


@pytest.fixture
def person(personas):
    person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker)
    return person


def slot(hour: int, minutes: int = 0) -> str:
    day = timezone.localdate() + dt.timedelta(days=2)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minutes))).isoformat()


def body(person, start, end, **extra):
    return {
        "person": person.pk,
        "starts_at": start,
        "ends_at": end,
        "place": "centre",
        "purpose": "Check-in",
        **extra,
    }


def test_book_then_a_clash_is_409_with_the_conflicts(personas, person, api_client_for):
    consent_to(personas, person, personas.partner_org)
    keyworker = api_client_for(personas.keyworker)
    first = keyworker.post(
        "/api/v1/appointments", body(person, slot(10), slot(11)), content_type="application/json"
    )
    assert first.status_code == 201, first.content
    partner = api_client_for(personas.partner)
    clash = partner.post(
        "/api/v1/appointments",
        body(person, slot(10, 30), slot(11, 30)),
        content_type="application/json",
    )
    assert clash.status_code == 409
    assert clash.json()["conflicts"][0]["kind"] == "person"
    assert Appointment.objects.count() == 1
    booked = partner.post(
        "/api/v1/appointments",
        body(person, slot(10, 30), slot(11, 30), acknowledge=True),
        content_type="application/json",
    )
    assert booked.status_code == 201 and booked.json()["conflicts_acknowledged"]
    calendar = keyworker.get(f"/api/v1/appointments?person={person.pk}").json()
    assert {a["organisation"] for a in calendar} == {"one-stop", "housing-assoc"}


def test_ends_before_it_starts_is_422_and_outsider_404(personas, person, api_client_for):
    keyworker = api_client_for(personas.keyworker)
    bad = keyworker.post(
        "/api/v1/appointments", body(person, slot(11), slot(10)), content_type="application/json"
    )
    assert bad.status_code == 422
    assert "end after it starts" in str(bad.json())
    outsider = api_client_for(personas.outsider)
    assert (
        outsider.post(
            "/api/v1/appointments",
            body(person, slot(10), slot(11)),
            content_type="application/json",
        ).status_code
        == 404
    )
    assert not Appointment.objects.exists()


def test_person_flags(personas, person, api_client_for):
    for organisation in (personas.one_stop, personas.partner_org):
        service = ServiceFactory(organisation=organisation)
        ServiceNeedFactory(service=service, need="food-insecurity")
        Enrolment.objects.create(
            network=personas.network,
            person=person,
            service=service,
            organisation=organisation,
            started_on=timezone.localdate(),
            enrolled_by=personas.keyworker,
        )
    flags_refresh(actor=Actor.system("tests"), people_ids=[person.pk])
    flags = api_client_for(personas.keyworker).get(f"/api/v1/people/{person.pk}/flags")
    assert flags.status_code == 200
    assert [f["kind"] for f in flags.json()] == ["duplication"]
    assert (
        api_client_for(personas.outsider).get(f"/api/v1/people/{person.pk}/flags").status_code
        == 404
    )


def test_openapi_lists_them(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/appointments" in paths and "/api/v1/people/{person_id}/flags" in paths
