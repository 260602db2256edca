"""GET /api/v1/referrals/{id}/fhir: the referral as an SDOH Clinical Care Bundle, validated by
parsing it back with fhir.resources."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from tests import factories as f
from tests.referrals.factories import consent_to, housing_service, refer
from wraparound.audit.models import AuditEvent
from wraparound.consent.models import Consent
from wraparound.consent.services import consent_withdraw
from wraparound.directory.needs import NeedCategory
from wraparound.referrals.fhir import SDOH_CATEGORY, SERVICE_REQUEST_STATUS, sdoh_category
from wraparound.referrals.models import ReasonCode, ReferralStatus
from wraparound.referrals.services import referral_transition

SR_PROFILE = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-ServiceRequest"
TASK_PROFILE = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement"
)
SDOHCC_CODES = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"


@pytest.fixture
def person(personas):
    person = f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        given_name="Rhys",
        family_name="Morgan",
        date_of_birth=dt.date(1984, 5, 6),
        address_line_1="1 High Street",
        phone="+447700900123",
    )
    f.CaseFactory(
        person=person,
        lead_organisation=personas.one_stop,
        key_worker=personas.keyworker,
        opened_on=timezone.localdate() - dt.timedelta(days=90),
    )
    consent_to(personas, person, personas.partner_org, "assessments")
    return person


@pytest.fixture
def referral(personas, person):
    return refer(personas, person, housing_service(personas), urgency="urgent", notes="Evenings")


def fetch(client: Client, referral) -> tuple[Bundle, dict[str, Any]]:
    response = client.get(f"/api/v1/referrals/{referral.pk}/fhir")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    raw = response.json()
    return Bundle.model_validate(raw), raw


def by_type(bundle: Bundle) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for entry in bundle.entry or []:
        found.setdefault(type(entry.resource).__name__, []).append(entry)
    return found


def test_bundle_parses_with_the_sdoh_profiles(personas, referral, api_client_for):
    bundle, raw = fetch(api_client_for(personas.partner), referral)
    assert bundle.type == "collection"
    assert raw["resourceType"] == "Bundle"
    entries = by_type(bundle)
    assert set(entries) == {"ServiceRequest", "Task", "Patient", "Organization"}
    assert len(entries["Organization"]) == 2
    urls = {entry.fullUrl for entry in bundle.entry}
    assert len(urls) == len(bundle.entry)

    sr_entry = entries["ServiceRequest"][0]
    sr: ServiceRequest = sr_entry.resource
    assert sr.meta.profile == [SR_PROFILE]
    assert sr.status == "active" and sr.intent == "order"
    assert sr.priority == "urgent"
    assert sr.category[0].coding[0].system == SDOHCC_CODES
    assert sr.category[0].coding[0].code == "housing-instability"
    assert sr.code.coding[0].system == "http://snomed.info/sct"
    assert sr.code.text == "Referral to Tenancy support"
    assert sr.reasonCode[0].coding[0].code == "housing-instability"
    assert sr.reasonCode[0].text == "Rent arrears and a notice to quit"
    assert sr.note[0].text == "Evenings"
    assert sr.identifier[0].value == referral.reference

    task: Task = entries["Task"][0].resource
    assert task.meta.profile == [TASK_PROFILE]
    assert task.status == "requested" and task.intent == "order"
    assert task.code.coding[0].system == "http://hl7.org/fhir/CodeSystem/task-code"
    assert task.code.coding[0].code == "fulfill"
    assert task.focus.reference == sr_entry.fullUrl
    assert task.authoredOn is not None and task.lastModified is not None
    assert task.statusReason is None and task.output is None

    patient_entry = entries["Patient"][0]
    assert task.for_fhir.reference == sr.subject.reference == patient_entry.fullUrl
    organisations = {e.resource.name: e.fullUrl for e in entries["Organization"]}
    assert task.owner.reference == organisations["Taff Housing Association"]
    assert sr.performer[0].reference == organisations["Taff Housing Association"]
    assert task.requester.reference == organisations["Cwm Taf One-Stop Centre"]
    assert sr.requester.reference == organisations["Cwm Taf One-Stop Centre"]
    # Every reference resolves inside the bundle.
    references = {
        sr.subject.reference,
        sr.requester.reference,
        task.focus.reference,
        task.for_fhir.reference,
        task.owner.reference,
        task.requester.reference,
        *(p.reference for p in sr.performer),
    }
    assert references <= urls


def test_patient_holds_identity_only(personas, person, referral, api_client_for):
    bundle, raw = fetch(api_client_for(personas.partner), referral)
    patient: Patient = by_type(bundle)["Patient"][0].resource
    assert patient.id == person.reference
    assert patient.name[0].family == "Morgan" and patient.name[0].given == ["Rhys"]
    assert patient.birthDate == dt.date(1984, 5, 6)
    assert patient.address is None and patient.telecom is None
    assert "High Street" not in str(raw) and "7700900123" not in str(raw)
    organisation: Organization = by_type(bundle)["Organization"][0].resource
    assert organisation.identifier[0].value in {"one-stop", "housing-assoc"}


def test_rejected_referral_has_status_reason_and_revoked_request(
    personas, referral, api_client_for
):
    referral_transition(
        actor=personas.actor(personas.partner),
        referral=referral,
        to=ReferralStatus.REJECTED,
        reason_code=ReasonCode.OUT_OF_AREA,
        reason="Lives in Cardiff",
    )
    bundle, _ = fetch(api_client_for(personas.keyworker), referral)
    task: Task = by_type(bundle)["Task"][0].resource
    assert task.status == "rejected"
    assert task.statusReason.text == "Lives in Cardiff"
    assert task.statusReason.coding[0].code == "out-of-area"
    assert task.executionPeriod.end is not None
    assert by_type(bundle)["ServiceRequest"][0].resource.status == "revoked"


def test_completed_referral_has_output(personas, referral, api_client_for):
    actor = personas.actor(personas.partner)
    referral_transition(actor=actor, referral=referral, to=ReferralStatus.ACCEPTED)
    referral_transition(
        actor=actor, referral=referral, to=ReferralStatus.COMPLETED, outcome="Tenancy saved"
    )
    bundle, _ = fetch(api_client_for(personas.partner), referral)
    task: Task = by_type(bundle)["Task"][0].resource
    assert task.status == "completed"
    assert task.output[0].type.coding[0].code == "resulting-activity"
    assert task.output[0].valueString == "Tenancy saved"
    assert by_type(bundle)["ServiceRequest"][0].resource.status == "completed"


def test_withdrawn_consent_leaves_the_receiver_only_the_reference(
    personas, person, referral, api_client_for
):
    consent = Consent.objects.get(person=person, recipient_organisation=personas.partner_org)
    consent_withdraw(actor=personas.actor(personas.keyworker), consent=consent)
    bundle, raw = fetch(api_client_for(personas.partner), referral)
    patient: Patient = by_type(bundle)["Patient"][0].resource
    assert patient.identifier[0].value == person.reference
    assert patient.name is None and patient.birthDate is None
    assert "Morgan" not in str(raw)


def test_fhir_read_is_audited(personas, person, referral, api_client_for):
    fetch(api_client_for(personas.partner), referral)
    event = AuditEvent.objects.get(action="api.referral.fhir")
    assert event.person_id == person.pk


def test_outsider_gets_404(personas, referral, api_client_for):
    response = api_client_for(personas.outsider).get(f"/api/v1/referrals/{referral.pk}/fhir")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


@pytest.mark.parametrize("status", list(ReferralStatus))
def test_every_status_maps_to_a_valid_service_request(status):
    assert SERVICE_REQUEST_STATUS[status] in {
        "draft",
        "active",
        "on-hold",
        "revoked",
        "completed",
        "entered-in-error",
    }


def test_every_need_has_an_sdoh_category():
    for need in NeedCategory:
        concept = sdoh_category(need)
        assert concept["coding"][0]["system"] == SDOHCC_CODES
        assert concept["text"] == need.label
    assert sdoh_category(NeedCategory.MENTAL_HEALTH)["coding"][0]["code"] == (
        "sdoh-category-unspecified"
    )
    assert SDOH_CATEGORY[NeedCategory.FOOD_INSECURITY][0] == "food-insecurity"
