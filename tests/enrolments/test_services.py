"""Enrolments close the referral loop and free slots; service events are outputs with costs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.referrals.factories import consent_to, housing_service, refer
from wraparound.directory.models import Service
from wraparound.enrolments.models import Enrolment, ServiceEvent
from wraparound.enrolments.services import enrolment_end, enrolment_start, service_event_record
from wraparound.referrals.models import ReferralStatus as S
from wraparound.referrals.models import WaitlistEntry, WaitlistStatus
from wraparound.referrals.services import referral_transition


@pytest.fixture
def service(personas):
    return housing_service(personas, unit_cost=Decimal("42.50"))


@pytest.fixture
def accepted(personas, person, case, service):
    consent_to(personas, person, personas.partner_org)
    referral = refer(personas, person, service)
    return referral_transition(
        actor=personas.actor(personas.partner), referral=referral, to=S.ACCEPTED
    )


def partner(personas):
    return personas.actor(personas.partner)


def test_enrolling_from_an_accepted_referral_starts_it(personas, accepted):
    enrolment = enrolment_start(actor=partner(personas), referral=accepted)
    accepted.refresh_from_db()
    assert accepted.status == S.IN_PROGRESS
    assert enrolment.referral == accepted and enrolment.status == "active"


def test_only_the_service_organisation_enrols(personas, accepted):
    with pytest.raises(PermissionDenied):
        enrolment_start(actor=personas.actor(personas.keyworker), referral=accepted)


def test_a_requested_referral_cannot_be_enrolled(personas, person, case, service):
    consent_to(personas, person, personas.partner_org)
    referral = refer(personas, person, service)
    with pytest.raises(ValidationError) as caught:
        enrolment_start(actor=partner(personas), referral=referral)
    assert "Accept the referral" in caught.value.message_dict["referral"][0]
    assert not Enrolment.objects.exists()


def test_service_events_cost_units_times_unit_cost_and_check_their_input(personas, accepted):
    enrolment = enrolment_start(actor=partner(personas), referral=accepted)
    event = service_event_record(
        actor=partner(personas),
        enrolment=enrolment,
        on=timezone.localdate(),
        event_type="one_to_one",
        mode="home_visit",
        units=Decimal("2"),
        duration_minutes=60,
        delivered_by=personas.partner,
    )
    assert event.cost == Decimal("85.00") and event.unit_cost == Decimal("42.50")
    Service.objects.filter(pk=enrolment.service_id).update(unit_cost=Decimal("100"))
    event.refresh_from_db()
    assert event.cost == Decimal("85.00")  # history is not rewritten
    with pytest.raises(ValidationError) as caught:
        service_event_record(
            actor=partner(personas),
            enrolment=enrolment,
            on=timezone.localdate(),
            event_type="nonsense",
            mode="by pigeon",
            units=Decimal("0"),
            delivered_by=personas.keyworker,
        )
    assert set(caught.value.message_dict) == {"event_type", "mode", "units", "delivered_by"}
    with pytest.raises(ValidationError) as caught:
        service_event_record(
            actor=partner(personas),
            enrolment=enrolment,
            on=timezone.localdate() + dt.timedelta(days=1),
            event_type="advice",
            mode="phone",
            delivered_by=personas.partner,
        )
    assert "future" in caught.value.message_dict["on"][0]
    assert ServiceEvent.objects.count() == 1


def test_ending_completes_the_referral_and_offers_the_slot_to_the_waitlist(
    personas, accepted, service
):
    enrolment = enrolment_start(actor=partner(personas), referral=accepted)
    Service.objects.filter(pk=service.pk).update(capacity_available=0)
    waiting_person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    consent_to(personas, waiting_person, personas.partner_org)
    waiting = refer(personas, waiting_person, service)
    referral_transition(actor=partner(personas), referral=waiting, to=S.ACCEPTED)
    assert WaitlistEntry.objects.get(referral=waiting).status == WaitlistStatus.WAITING
    enrolment_end(actor=partner(personas), enrolment=enrolment, end_reason="goals_met")
    accepted.refresh_from_db()
    assert accepted.status == S.COMPLETED and "Goals met" in accepted.outcome
    assert WaitlistEntry.objects.get(referral=waiting).status == WaitlistStatus.OFFERED


def test_disengagement_fails_the_referral_with_a_coded_reason(personas, accepted):
    enrolment = enrolment_start(actor=partner(personas), referral=accepted)
    enrolment_end(
        actor=partner(personas), enrolment=enrolment, end_reason="disengaged", note="No answer"
    )
    accepted.refresh_from_db()
    assert accepted.status == S.FAILED and accepted.status_reason_code == "unable-to-contact"
    with pytest.raises(ValidationError):
        enrolment_end(actor=partner(personas), enrolment=enrolment, end_reason="goals_met")


def test_direct_intake_takes_a_slot_and_a_full_service_refuses(personas, person, case, service):
    consent_to(personas, person, personas.partner_org)
    Service.objects.filter(pk=service.pk).update(capacity_available=1)
    enrolment = enrolment_start(actor=partner(personas), person=person, service=service)
    assert Service.objects.get(pk=service.pk).capacity_available == 0
    other = f.PersonFactory(network=personas.network, registered_by=personas.partner_org)
    with pytest.raises(ValidationError) as caught:
        enrolment_start(actor=partner(personas), person=other, service=service)
    assert "is full" in caught.value.message_dict["service"][0]
    enrolment_end(actor=partner(personas), enrolment=enrolment, end_reason="completed")
    assert Service.objects.get(pk=service.pk).capacity_available == 1


def test_pages(personas, accepted):
    client = personas.client(personas.partner)
    response = client.post(reverse("enrolments:start_from_referral", args=[accepted.pk]))
    enrolment = Enrolment.objects.get()
    assert response["Location"] == reverse("enrolments:detail", args=[enrolment.pk])
    today = timezone.localdate()
    bad = client.post(
        reverse("enrolments:record_event", args=[enrolment.pk]),
        {
            "on_0": today.day,
            "on_1": today.month,
            "on_2": today.year,
            "event_type": "advice",
            "mode": "phone",
            "units": "-1",
        },
    )
    assert bad.status_code == 200 and not ServiceEvent.objects.exists()
    good = client.post(
        reverse("enrolments:record_event", args=[enrolment.pk]),
        {
            "on_0": today.day,
            "on_1": today.month,
            "on_2": today.year,
            "event_type": "advice",
            "mode": "phone",
            "units": "1",
        },
    )
    assert good.status_code == 302 and ServiceEvent.objects.count() == 1
    page = client.get(reverse("enrolments:detail", args=[enrolment.pk]))
    assert "£42.50" in page.content.decode()
    assert (
        personas.client(personas.outsider)
        .get(reverse("enrolments:detail", args=[enrolment.pk]))
        .status_code
        == 404
    )
    assert (
        personas.client(personas.keyworker)
        .get(reverse("enrolments:detail", args=[enrolment.pk]))
        .status_code
        == 200
    )
