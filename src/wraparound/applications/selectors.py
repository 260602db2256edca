"""Reads of applications: the person's own in the portal, an organisation's inbox for
staff (the person applied to that organisation: that is the ground to read it)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES
from wraparound.applications.models import (
    OPEN_STATUSES,
    Application,
    ApplicationDraft,
    ApplicationStatus,
)
from wraparound.audit.services import PersonRead, audit_reads, audit_record
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import portal_subject_access
from wraparound.eligibility.models import Circumstances
from wraparound.portal.session import PortalContext

CATEGORIES = [DataCategory.FINANCES, DataCategory.PLANS_REFERRALS]


def _mine(context: PortalContext) -> Q:
    if context.person is not None:
        return Q(person=context.person) | Q(account=context.account, person__isnull=True)
    return Q(account=context.account)


def my_applications(*, context: PortalContext) -> list[Application]:
    rows = list(
        Application.objects.filter(_mine(context))
        .select_related("organisation")
        .order_by("-submitted_at", "-id")
    )
    if context.person is not None and rows:
        audit_reads(
            actor=context.actor,
            action="portal.applications_view",
            purpose="portal",
            summary="Viewed their applications",
            reads=[PersonRead(context.person.pk, CATEGORIES, "own record")],
        )
    return rows


def my_application(*, context: PortalContext, application_id: int) -> Application:
    found = (
        Application.objects.filter(_mine(context), pk=application_id)
        .select_related("organisation", "service", "program")
        .prefetch_related("transitions", "service__required_documents")
        .first()
    )
    if found is None:
        raise Http404
    return found


def my_drafts(*, context: PortalContext) -> list[ApplicationDraft]:
    return list(ApplicationDraft.objects.filter(account=context.account).order_by("-updated_at"))


def my_draft(*, context: PortalContext, draft_id: int) -> ApplicationDraft:
    found = ApplicationDraft.objects.filter(account=context.account, pk=draft_id).first()
    if found is None:
        raise Http404
    return found


def portal_badge_count(*, context: PortalContext) -> int:
    """Applications waiting for the person: more information asked for."""
    return Application.objects.filter(
        _mine(context), status=ApplicationStatus.MORE_INFORMATION
    ).count()


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def prefill(*, context: PortalContext, check_answers: dict[str, Any]) -> dict[str, Any]:
    """What the person already told us, as answers to the questions: the anonymous check
    (this session) first, then their latest recorded circumstances, and their contact
    details from the record."""
    answers: dict[str, Any] = dict(check_answers)
    person = context.person
    if person is None or not portal_subject_access(
        account_id=context.account.pk, person_id=person.pk
    ):
        answers["contact"] = {"email": context.account.email}
        return answers
    latest = Circumstances.objects.filter(person=person).order_by("-version").first()
    if latest is not None:
        known = {
            "income": str(latest.income_monthly) if latest.income_monthly is not None else None,
            "housing": latest.housing_status or None,
            "employment": latest.employment_status or None,
            "disabled": _yes_no(latest.disabled),
            "carer": _yes_no(latest.carer),
            "needs": latest.needs,
            "benefits": latest.benefits,
            "income_sources": latest.income_sources,
        }
        for name, value in known.items():
            if value is not None and name not in answers:
                answers[name] = value
    if person.date_of_birth and "age" not in answers:
        answers["age"] = person.age_on(timezone.localdate())
    answers["contact"] = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else "",
        "email": person.email or context.account.email,
        "phone": person.phone,
    }
    audit_reads(
        actor=context.actor,
        action="portal.application_prefill",
        purpose="portal",
        summary="Pre-filled an application from their record",
        reads=[PersonRead(person.pk, [DataCategory.IDENTITY, DataCategory.FINANCES], "own record")],
    )
    return answers


# --- Staff --------------------------------------------------------------------------------


def _organisation_id(actor: Actor) -> int:
    membership = actor.require_membership()
    if membership.role not in CASEWORK_ROLES:
        raise Http404
    return membership.organisation_id


def inbox(*, actor: Actor, status: str = "") -> QuerySet[Application]:
    """The organisation's applications, oldest open first."""
    rows = Application.objects.filter(organisation_id=_organisation_id(actor))
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("submitted_at", "id")


def inbox_counts(*, actor: Actor) -> dict[str, int]:
    rows = (
        Application.objects.filter(organisation_id=_organisation_id(actor))
        .values("status")
        .annotate(n=Count("id"))
    )
    return {r["status"]: r["n"] for r in rows}


def inbox_page_audit(*, actor: Actor, rows: list[Application]) -> None:
    """Each row shows the applicant's name: one read per linked person shown."""
    reads = [
        PersonRead(a.person_id, [DataCategory.IDENTITY], "applied to the organisation")
        for a in rows
        if a.person_id
    ]
    audit_reads(
        actor=actor,
        action="application.inbox",
        purpose="application",
        summary="Applications inbox",
        reads=reads,
    )


def application_get(*, actor: Actor, application_id: int) -> Application:
    found = (
        Application.objects.filter(organisation_id=_organisation_id(actor), pk=application_id)
        .select_related("organisation", "person", "account")
        .prefetch_related("transitions__by_user")
        .first()
    )
    if found is None:
        raise Http404
    if found.person_id:
        audit_reads(
            actor=actor,
            action="application.view",
            purpose="application",
            summary=f"Viewed the application for {found.programme_name}",
            reads=[PersonRead(found.person_id, CATEGORIES, "applied to the organisation")],
        )
    else:
        audit_record(
            actor=actor,
            action="application.view",
            kind="read",
            summary=f"Viewed application {found.pk} (not yet linked to a person)",
            target=found,
            categories=CATEGORIES,
        )
    return found


def open_statuses() -> frozenset[str]:
    return OPEN_STATUSES
