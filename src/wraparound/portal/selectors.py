"""Portal reads of a person's own record. Every function takes the PortalContext the
decorators built (its account already checked against ``portal_subject_access``), checks
again where an object id comes from the URL, and audits what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES
from wraparound.appointments.models import (
    Appointment,
    AppointmentChangeRequest,
    AppointmentStatus,
    ChangeRequestStatus,
)
from wraparound.audit.models import AuditEvent, AuditKind
from wraparound.audit.services import PersonRead, audit_reads
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Consent
from wraparound.consent.policy import portal_subject_access
from wraparound.plans.models import ActionUpdate, CarePlan, CarePlanStatus, Goal, PlanAction
from wraparound.portal.models import Intermediary, LinkRequest, LinkRequestStatus
from wraparound.portal.session import PortalContext


def _require(context: PortalContext) -> int:
    person = context.person
    if person is None or not portal_subject_access(
        account_id=context.account.pk, person_id=person.pk
    ):
        raise Http404
    return person.pk


def _audit(context: PortalContext, action: str, summary: str, categories: list[str]) -> None:
    person_id = _require(context)
    reason = "intermediary for the person" if context.acting_for_someone else "own record"
    audit_reads(
        actor=context.actor,
        action=action,
        purpose="portal",
        summary=summary,
        reads=[PersonRead(person_id, categories, reason)],
    )


# --- Plan -----------------------------------------------------------------------------


def my_plan(*, context: PortalContext) -> CarePlan | None:
    """The care plan in force (the agreed version of the newest case that has one)."""
    person_id = _require(context)
    updates = Prefetch("updates", queryset=ActionUpdate.objects.order_by("created_at", "id"))
    actions = Prefetch(
        "actions",
        queryset=PlanAction.objects.select_related(
            "owner_organisation", "service"
        ).prefetch_related(updates),
    )
    plan = (
        CarePlan.objects.filter(person_id=person_id, status=CarePlanStatus.AGREED)
        .select_related("case__key_worker", "case__lead_organisation")
        .prefetch_related(Prefetch("goals", queryset=Goal.objects.prefetch_related(actions)))
        .order_by("-case__opened_on", "-version")
        .first()
    )
    _audit(context, "portal.plan_view", "Viewed their care plan", [DataCategory.PLANS_REFERRALS])
    return plan


def my_plan_action(*, context: PortalContext, action_id: int) -> PlanAction:
    person_id = _require(context)
    action = (
        PlanAction.objects.select_related("goal__plan")
        .filter(
            pk=action_id, goal__plan__person_id=person_id, goal__plan__status=CarePlanStatus.AGREED
        )
        .first()
    )
    if action is None:
        raise Http404
    return action


# --- Appointments ---------------------------------------------------------------------


def _appointments(person_id: int) -> QuerySet[Appointment]:
    open_requests = Prefetch(
        "change_requests",
        queryset=AppointmentChangeRequest.objects.filter(status=ChangeRequestStatus.OPEN),
        to_attr="open_requests",
    )
    return (
        Appointment.objects.filter(person_id=person_id)
        .select_related("organisation", "service", "location", "staff")
        .prefetch_related("location__addresses", open_requests)
    )


def my_appointments(*, context: PortalContext, upcoming_only: bool = True) -> list[Appointment]:
    """Every agency's appointments in one list: upcoming first by time."""
    person_id = _require(context)
    rows = _appointments(person_id)
    if upcoming_only:
        rows = rows.filter(status=AppointmentStatus.BOOKED, ends_at__gte=timezone.now())
    out = list(rows.order_by("starts_at", "id"))
    _audit(
        context,
        "portal.appointments_view",
        "Viewed their appointments",
        [DataCategory.PLANS_REFERRALS],
    )
    return out


def my_appointment(*, context: PortalContext, appointment_id: int) -> Appointment:
    person_id = _require(context)
    appointment = _appointments(person_id).filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404
    return appointment


# --- My data --------------------------------------------------------------------------


def my_consents(*, context: PortalContext) -> list[Consent]:
    person_id = _require(context)
    consents = list(
        Consent.objects.filter(person_id=person_id)
        .select_related("recipient_organisation", "recorded_by_organisation", "withdrawal")
        .prefetch_related("categories")
        .order_by("-recorded_at", "-id")
    )
    _audit(context, "portal.consents_view", "Viewed their consents", [DataCategory.IDENTITY])
    return consents


def my_consent(*, context: PortalContext, consent_id: int) -> Consent:
    person_id = _require(context)
    consent = Consent.objects.filter(pk=consent_id, person_id=person_id).first()
    if consent is None:
        raise Http404
    return consent


def who_looked(*, context: PortalContext) -> QuerySet[AuditEvent]:
    """Every read of the record by anyone but the person themselves: organisation, role,
    time, purpose and categories (and someone acting for them in the portal)."""
    person_id = _require(context)
    _audit(
        context,
        "portal.access_log_view",
        "Viewed who looked at their record",
        [DataCategory.IDENTITY],
    )
    own = Q(via="portal", actor_label__endswith="(portal)")
    return (
        AuditEvent.objects.filter(person_id=person_id, kind=AuditKind.READ)
        .exclude(own)
        .order_by("-occurred_at", "-id")
    )


def pending_link_request(*, context: PortalContext) -> LinkRequest | None:
    return (
        LinkRequest.objects.filter(account=context.account, status=LinkRequestStatus.PENDING)
        .order_by("-created_at")
        .first()
    )


# --- Download my data -----------------------------------------------------------------


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class MyData:
    generated_at: datetime
    sections: dict[str, Any]


def my_data(*, context: PortalContext) -> MyData:
    """Everything the portal shows the person about themselves, as one document (the JSON
    download and the readable page share it). Audited as an export."""
    person_id = _require(context)
    person = context.person
    assert person is not None
    plan_rows = []
    for plan in CarePlan.objects.filter(person_id=person_id).prefetch_related("goals__actions"):
        plan_rows.append(
            {
                "version": plan.version,
                "status": plan.status,
                "summary": plan.summary,
                "agreed_on": _iso(plan.agreed_on),
                "review_on": _iso(plan.review_on),
                "goals": [
                    {
                        "what": g.what,
                        "measure": g.measure,
                        "target_on": _iso(g.target_on),
                        "actions": [
                            {
                                "description": a.description,
                                "owner": a.owner,
                                "due_on": _iso(a.due_on),
                                "done_on": _iso(a.done_on),
                            }
                            for a in g.actions.all()
                        ],
                    }
                    for g in plan.goals.all()
                ],
            }
        )
    appointments = [
        {
            "starts_at": _iso(a.starts_at),
            "ends_at": _iso(a.ends_at),
            "organisation": a.organisation.name,
            "purpose": a.purpose,
            "place": a.place,
            "status": a.status,
        }
        for a in _appointments(person_id).order_by("starts_at")
    ]
    consents = [
        {
            "recipient": c.recipient_label,
            "purpose": c.purpose,
            "categories": c.category_codes,
            "valid_from": _iso(c.valid_from),
            "valid_until": _iso(c.valid_until),
            "evidence": c.evidence,
            "withdrawn_at": _iso(c.withdrawal.withdrawn_at) if hasattr(c, "withdrawal") else None,
        }
        for c in Consent.objects.filter(person_id=person_id)
        .select_related("recipient_organisation", "withdrawal")
        .prefetch_related("categories")
    ]
    accesses = [
        {
            "at": _iso(e.occurred_at),
            "organisation": e.organisation_name,
            "role": e.role,
            "purpose": e.purpose,
            "categories": e.categories,
            "emergency_access": e.break_glass,
        }
        for e in AuditEvent.objects.filter(person_id=person_id, kind=AuditKind.READ)
        .exclude(via="portal", actor_label__endswith="(portal)")
        .order_by("-occurred_at")[:5000]
    ]
    sections = {
        "person": {
            "reference": person.reference,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "date_of_birth": _iso(person.date_of_birth),
            "email": person.email,
            "phone": person.phone,
        },
        "portal_account": {
            "email": context.account.email,
            "language": context.account.language,
            "created_at": _iso(context.account.created_at),
        },
        "care_plans": plan_rows,
        "appointments": appointments,
        "consents": consents,
        "who_looked_at_my_record": accesses,
    }
    audit_reads(
        actor=context.actor,
        action="portal.my_data_download",
        purpose="subject_access",
        summary="Downloaded their data from the portal",
        reads=[
            PersonRead(
                person_id,
                [DataCategory.IDENTITY, DataCategory.PLANS_REFERRALS],
                "own record" if not context.acting_for_someone else "intermediary for the person",
            )
        ],
    )
    return MyData(timezone.now(), sections)


def my_intermediaries(*, context: PortalContext) -> list[Intermediary]:
    """Who the account holder allowed to act for them (only for their own record)."""
    if context.account.person_id is None:
        return []
    return list(
        Intermediary.objects.filter(person_id=context.account.person_id, revoked_at__isnull=True)
        .select_related("account")
        .order_by("allowed_at")
    )


def my_intermediary(*, context: PortalContext, intermediary_id: int) -> Intermediary:
    found = next((i for i in my_intermediaries(context=context) if i.pk == intermediary_id), None)
    if found is None:
        raise Http404
    return found


# --- Staff side -----------------------------------------------------------------------


def link_requests_waiting(*, actor: Actor) -> QuerySet[LinkRequest]:
    """Requests of the worker's network, oldest first (casework roles only)."""
    _require_caseworker(actor)
    return (
        LinkRequest.objects.filter(
            status=LinkRequestStatus.PENDING,
            account__network_id=actor.require_membership().organisation.network_id,
        )
        .select_related("account")
        .order_by("created_at")
    )


def link_request_get(*, actor: Actor, request_id: int) -> LinkRequest:
    found = link_requests_waiting(actor=actor).filter(pk=request_id).first()
    if found is None:
        raise Http404
    return found


def _require_caseworker(actor: Actor) -> None:
    if actor.require_membership().role not in CASEWORK_ROLES:
        raise PermissionDenied("Only casework roles link portal accounts.")
