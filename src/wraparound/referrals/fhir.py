"""A referral as FHIR: a ``collection`` Bundle holding an SDOH Clinical Care ServiceRequest
(``SDOHCC-ServiceRequest``), the Task that tracks it (``SDOHCC-TaskForReferralManagement``),
and minimal Patient and Organization resources.

Built with the ``fhir.resources.R4B`` models. The SDOH Clinical Care guide is written for
FHIR R4 (4.0.1); the package ships R4B (4.3.0) as its closest release, and R4B leaves
ServiceRequest, Task, Patient, Organization and Bundle as they are in R4, so the JSON is R4
JSON. The models check the structure (required elements, code values, types) when the bundle
is built; the profiles' terminology bindings are not checked by them.

Choices, where the guide leaves room or our data is thinner than the profile:

* ``Task.status`` is our status (the lifecycle uses exactly the guide's Task statuses);
  ``ServiceRequest.status`` is the requester's view: draft, active while the receiver works
  on it, on-hold, completed, revoked once rejected, failed or cancelled, entered-in-error.
* ``ServiceRequest.category`` carries the SDOH category code of the need
  (``SDOHCC-CodeSystemTemporaryCodes``; needs with no SDOH category, such as mental health or
  legal needs, are ``sdoh-category-unspecified`` with the need named in ``text``);
  ``ServiceRequest.code`` is SNOMED CT 306206005 "Referral to service" with the service's
  name as text; the need is also given as ``reasonCode`` (the SDOH code, with our reason as
  text), because we hold no Condition resource to reference.
* ``Task.statusReason`` is our coded reason (``urn:wraparound:referral-reason``) with the
  explanation as ``text`` (the profile requires text).
* ``Task.output`` when completed: ``type`` is the guide's ``resulting-activity`` and the
  value is the recorded outcome as text (``valueString``), since we do not code what was
  provided.
* The Patient holds the person's reference, name and date of birth only, and only when the
  viewer may see the person's identity; otherwise just the reference. Nothing from the data
  bundle's other categories is included.

Resource ids are our references; ``fullUrl`` values are stable ``urn:uuid`` names derived
from them, and the references inside the bundle use those names.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from wraparound.directory.models import Organisation
from wraparound.directory.needs import NeedCategory
from wraparound.referrals.models import Referral, ReferralStatus, Urgency
from wraparound.referrals.selectors import ReferralView

S = ReferralStatus

PROFILE_SERVICE_REQUEST = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-ServiceRequest"
)
PROFILE_TASK = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement"
)
SDOHCC_CODES = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
TASK_CODES = "http://hl7.org/fhir/CodeSystem/task-code"
SNOMED = "http://snomed.info/sct"
REFERRAL_TO_SERVICE = ("306206005", "Referral to service")
UNSPECIFIED = "sdoh-category-unspecified"

SYSTEM_REFERRAL = "urn:wraparound:referral"
SYSTEM_PERSON = "urn:wraparound:person"
SYSTEM_ORGANISATION = "urn:wraparound:organisation"
SYSTEM_REASON = "urn:wraparound:referral-reason"

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:wraparound:fhir")

# Our need codes are the Gravity Project's SDOH domains; these are the SDOH CC category codes
# (display names as the guide spells them). Needs not listed have no SDOH category.
SDOH_CATEGORY: dict[str, tuple[str, str]] = {
    NeedCategory.HOUSING_INSTABILITY: ("housing-instability", "Housing Instability"),
    NeedCategory.HOMELESSNESS: ("homelessness", "Homelessness"),
    NeedCategory.INADEQUATE_HOUSING: ("inadequate-housing", "Inadequate Housing"),
    NeedCategory.FOOD_INSECURITY: ("food-insecurity", "Food Insecurity"),
    NeedCategory.FINANCIAL_INSECURITY: ("financial-insecurity", "Financial Insecurity"),
    NeedCategory.MATERIAL_HARDSHIP: ("material-hardship", "Material Hardship"),
    NeedCategory.EMPLOYMENT_STATUS: ("employment-status", "Employment Status"),
    NeedCategory.EDUCATIONAL_ATTAINMENT: ("educational-attainment", "Educational Attainment"),
    NeedCategory.TRANSPORTATION_INSECURITY: (
        "transportation-insecurity",
        "Transportation Insecurity",
    ),
    NeedCategory.UTILITY_INSECURITY: ("utility-insecurity", "Utility Insecurity"),
    NeedCategory.INTERPERSONAL_SAFETY: ("intimate-partner-violence", "Intimate Partner Violence"),
    NeedCategory.SOCIAL_CONNECTION: ("social-connection", "Social Connection"),
    NeedCategory.STRESS: ("stress", "Stress"),
    NeedCategory.ELDER_ABUSE: ("elder-abuse", "Elder Abuse"),
    NeedCategory.DIGITAL_ACCESS: ("digital-access", "Digital Access"),
    NeedCategory.VETERAN_STATUS: ("veteran-status", "Veteran Status"),
}

# The requester's order, by the state of its fulfilment.
SERVICE_REQUEST_STATUS: dict[str, str] = {
    S.DRAFT: "draft",
    S.REQUESTED: "active",
    S.ACCEPTED: "active",
    S.IN_PROGRESS: "active",
    S.ON_HOLD: "on-hold",
    S.COMPLETED: "completed",
    S.REJECTED: "revoked",
    S.FAILED: "revoked",
    S.CANCELLED: "revoked",
    S.ENTERED_IN_ERROR: "entered-in-error",
}

PRIORITY: dict[str, str] = {
    Urgency.ROUTINE: "routine",
    Urgency.URGENT: "urgent",
    Urgency.EMERGENCY: "stat",
}


def _urn(kind: str, key: object) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{key}')}"


def _instant(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def sdoh_category(need: str) -> dict[str, Any]:
    """The SDOH CC category of a need, as a CodeableConcept (unspecified when it has none)."""
    code, display = SDOH_CATEGORY.get(need, (UNSPECIFIED, "SDOH Category Unspecified"))
    return {
        "coding": [{"system": SDOHCC_CODES, "code": code, "display": display}],
        "text": str(NeedCategory(need).label) if need in NeedCategory.values else need,
    }


def _organisation(organisation: Organisation) -> Organization:
    values: dict[str, Any] = {
        "id": f"organisation-{organisation.pk}",
        "identifier": [{"system": SYSTEM_ORGANISATION, "value": organisation.slug}],
        "active": True,
        "name": organisation.name,
    }
    return Organization(**values)


def _patient(view: ReferralView) -> Patient:
    person = view.referral.person
    values: dict[str, Any] = {
        "id": person.reference,
        "identifier": [{"system": SYSTEM_PERSON, "value": person.reference}],
    }
    if view.person_visible:
        values["name"] = [
            {
                "use": "official",
                "family": person.family_name,
                "given": [person.given_name],
                "text": person.full_name,
            }
        ]
        if person.date_of_birth and not person.date_of_birth_is_approximate:
            values["birthDate"] = person.date_of_birth.isoformat()
    return Patient(**values)


def _service_request(
    referral: Referral, *, patient: str, requester: str, performer: str
) -> ServiceRequest:
    values: dict[str, Any] = {
        "id": referral.reference,
        "meta": {"profile": [PROFILE_SERVICE_REQUEST]},
        "identifier": [{"system": SYSTEM_REFERRAL, "value": referral.reference}],
        "status": SERVICE_REQUEST_STATUS[referral.status],
        "intent": "order",
        "category": [sdoh_category(referral.need)],
        "priority": PRIORITY.get(referral.urgency, "routine"),
        "code": {
            "coding": [
                {
                    "system": SNOMED,
                    "code": REFERRAL_TO_SERVICE[0],
                    "display": REFERRAL_TO_SERVICE[1],
                }
            ],
            "text": f"Referral to {referral.service.name}",
        },
        "subject": {"reference": patient, "type": "Patient"},
        "authoredOn": _instant(referral.created_at),
        "requester": {
            "reference": requester,
            "type": "Organization",
            "display": referral.referring_organisation.name,
        },
        "performer": [
            {
                "reference": performer,
                "type": "Organization",
                "display": referral.receiving_organisation.name,
            }
        ],
        "reasonCode": [{**sdoh_category(referral.need), "text": referral.reason}],
    }
    if referral.notes:
        values["note"] = [{"text": referral.notes}]
    return ServiceRequest(**values)


def _task(referral: Referral, *, focus: str, patient: str, requester: str, owner: str) -> Task:
    values: dict[str, Any] = {
        "id": referral.reference,
        "meta": {"profile": [PROFILE_TASK]},
        "identifier": [{"system": SYSTEM_REFERRAL, "value": referral.reference}],
        "status": referral.status,
        "intent": "order",
        "priority": PRIORITY.get(referral.urgency, "routine"),
        "code": {
            "coding": [
                {"system": TASK_CODES, "code": "fulfill", "display": "Fulfill the focal request"}
            ]
        },
        "focus": {"reference": focus, "type": "ServiceRequest"},
        "for": {"reference": patient, "type": "Patient"},
        "authoredOn": _instant(referral.created_at),
        "lastModified": _instant(referral.status_changed_at),
        "requester": {
            "reference": requester,
            "type": "Organization",
            "display": referral.referring_organisation.name,
        },
        "owner": {
            "reference": owner,
            "type": "Organization",
            "display": referral.receiving_organisation.name,
        },
    }
    if referral.requested_at:
        period: dict[str, str | None] = {"start": _instant(referral.requested_at)}
        if referral.closed_at:
            period["end"] = _instant(referral.closed_at)
        values["executionPeriod"] = period
    if referral.status_reason_code or referral.status_reason:
        reason: dict[str, Any] = {
            "text": referral.status_reason or referral.get_status_reason_code_display()
        }
        if referral.status_reason_code:
            reason["coding"] = [
                {
                    "system": SYSTEM_REASON,
                    "code": referral.status_reason_code,
                    "display": referral.get_status_reason_code_display(),
                }
            ]
        values["statusReason"] = reason
    if referral.status == S.COMPLETED and referral.outcome:
        values["output"] = [
            {
                "type": {
                    "coding": [
                        {
                            "system": SDOHCC_CODES,
                            "code": "resulting-activity",
                            "display": "Resulting Activity",
                        }
                    ]
                },
                "valueString": referral.outcome,
            }
        ]
    return Task(**values)


def referral_bundle(view: ReferralView, *, now: dt.datetime) -> Bundle:
    """The referral the viewer sees (``referrals.selectors.referral_get``) as a Bundle."""
    referral = view.referral
    person = referral.person
    urls = {
        "service_request": _urn("ServiceRequest", referral.pk),
        "task": _urn("Task", referral.pk),
        "patient": _urn("Patient", person.pk),
        "requester": _urn("Organization", referral.referring_organisation_id),
        "owner": _urn("Organization", referral.receiving_organisation_id),
    }
    resources: list[tuple[str, Any]] = [
        (
            urls["service_request"],
            _service_request(
                referral,
                patient=urls["patient"],
                requester=urls["requester"],
                performer=urls["owner"],
            ),
        ),
        (
            urls["task"],
            _task(
                referral,
                focus=urls["service_request"],
                patient=urls["patient"],
                requester=urls["requester"],
                owner=urls["owner"],
            ),
        ),
        (urls["patient"], _patient(view)),
        (urls["requester"], _organisation(referral.referring_organisation)),
    ]
    if referral.receiving_organisation_id != referral.referring_organisation_id:
        resources.append((urls["owner"], _organisation(referral.receiving_organisation)))
    return Bundle(
        type="collection",
        timestamp=now,
        entry=[BundleEntry(fullUrl=url, resource=resource) for url, resource in resources],
    )


def referral_bundle_json(view: ReferralView, *, now: dt.datetime) -> str:
    """The bundle as FHIR JSON (no empty elements)."""
    return referral_bundle(view, now=now).model_dump_json(exclude_none=True)
