"""Reads of cases, through the access policy."""

from __future__ import annotations

from django.db.models import QuerySet

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Membership, Role
from wraparound.audit.services import PersonRead, audit_reads
from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Purpose
from wraparound.consent.policy import Action, decide, visible_people
from wraparound.directory.models import Organisation
from wraparound.people.models import Person
from wraparound.people.selectors import PersonNotFound, decide_or_404


def caseload(*, actor: Actor) -> QuerySet[Case]:
    """The actor's own active cases, newest activity first."""
    if actor.user is None:
        return Case.objects.none()
    return (
        Case.objects.filter(key_worker=actor.user)
        .exclude(status=CaseStatus.CLOSED)
        .filter(person__in=visible_people(actor))
        .select_related("person", "lead_organisation", "household")
        .order_by("-last_activity_at", "-id")
    )


def cases_for_person(*, actor: Actor, person: Person) -> list[Case]:
    """The person's cases at every organisation; empty when the category is withheld."""
    decide_or_404(actor=actor, person=person)
    if not decide(actor=actor, person=person, category=DataCategory.PLANS_REFERRALS):
        return []
    return list(
        Case.objects.filter(person=person)
        .select_related("lead_organisation", "key_worker", "household")
        .order_by("-opened_on", "-id")
    )


def case_get(
    *, actor: Actor, case_id: int, action: Action = Action.VIEW, audit_as: str | None = "case.view"
) -> Case:
    """A case the actor may see (its category, plans and referrals, for its person)."""
    case = (
        Case.objects.select_related("person", "lead_organisation", "key_worker", "household")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise PersonNotFound("No case with that id")
    decide_or_404(actor=actor, person=case.person, action=action)
    decision = decide(actor=actor, person=case.person, category=DataCategory.PLANS_REFERRALS)
    if not decision:
        raise PersonNotFound("No case with that id")
    if audit_as:
        audit_reads(
            actor=actor,
            action=audit_as,
            purpose=Purpose.CARE_COORDINATION,
            summary=f"Viewed case {case.reference}",
            reads=[
                PersonRead(
                    case.person_id,
                    [DataCategory.IDENTITY, DataCategory.PLANS_REFERRALS],
                    decision.reason,
                    decision.break_glass,
                )
            ],
        )
    return case


def assignable_key_workers(*, case: Case) -> QuerySet[Membership]:
    """Active key workers (and managers) of the case's lead organisation."""
    return key_workers_of(organisation=case.lead_organisation)


def key_workers_of(*, organisation: Organisation) -> QuerySet[Membership]:
    """Active key workers (and managers) of an organisation, by name."""
    return (
        Membership.objects.filter(
            organisation=organisation,
            is_active=True,
            user__is_active=True,
            role__in=[Role.KEY_WORKER, Role.MANAGER],
        )
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
