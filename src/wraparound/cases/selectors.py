"""Reads of cases, through the access policy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import Membership, Role
from wraparound.audit.services import PersonRead, audit_reads
from wraparound.cases.models import Case, CaseNote, CaseStatus
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Purpose
from wraparound.consent.policy import Action, decide, visible_people
from wraparound.directory.models import Organisation
from wraparound.people.models import Person
from wraparound.people.selectors import PersonNotFound, decide_or_404
from wraparound.plans.selectors import caseload_columns


def caseload(*, actor: Actor) -> QuerySet[Case]:
    """The actor's own active cases, newest activity first, each with the person's ``tier``
    and the agreed care plan's ``review_on`` (``plans.selectors.caseload_columns``)."""
    if actor.user is None:
        return Case.objects.none()
    columns = caseload_columns()
    return (
        Case.objects.filter(key_worker=actor.user)
        .exclude(status=CaseStatus.CLOSED)
        .filter(person__in=visible_people(actor))
        .annotate(tier=columns["tier"], review_on=columns["review_on"], open_flags=_open_flags())
        .select_related("person", "lead_organisation", "household")
        .order_by("-last_activity_at", "-id")
    )


def _open_flags() -> Subquery:
    """Open coordination flags of the case's person (one subquery for the whole page)."""
    from wraparound.flags.models import Flag

    return Subquery(
        Flag.objects.filter(person_id=OuterRef("person_id"), resolved_at__isnull=True)
        .order_by()
        .values("person_id")
        .annotate(n=Count("id"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def overdue_reviews(*, actor: Actor, limit: int = 20) -> list[Case]:
    """The actor's caseload whose agreed care plan's review date has passed, most overdue
    first (at most ``limit``)."""
    return list(
        caseload(actor=actor)
        .filter(Q(review_on__lt=timezone.localdate()))  # an annotation of caseload()
        .order_by("review_on", "id")[:limit]
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


@dataclass(frozen=True)
class CaseNotes:
    """The notes on a case one actor may read (a page of them, newest first), and a line
    for each reason others are withheld: "2 notes withheld: no consent for mental health"."""

    page: Page[Any]
    withheld: list[str]


def _withheld_line(count: int, reason: str) -> str:
    noun = "note" if count == 1 else "notes"
    return f"{count} {noun} withheld: {reason.removeprefix('withheld: ')}"


def case_notes(
    *, actor: Actor, case: Case, page: str | int | None = None, per_page: int | None = None
) -> CaseNotes:
    """Each note through the access policy on its own category (the author's organisation
    always reads its own). Withheld notes are counted, never decrypted; only the page shown
    is read in full, and that read is audited with the categories shown and withheld."""
    person = case.person
    allowed: list[int] = []
    reasons: Counter[str] = Counter()
    withheld_categories: set[str] = set()
    grounds: set[str] = set()
    break_glass = False
    metadata = (
        CaseNote.objects.filter(case=case)
        .order_by("-created_at", "-id")
        .values_list("pk", "category", "author_organisation_id")
    )
    for note_id, category, organisation_id in metadata:
        decision = decide(
            actor=actor,
            person=person,
            category=category,
            recorded_by_organisation_id=organisation_id,
        )
        if decision:
            allowed.append(note_id)
            grounds.add(decision.reason)
            break_glass = break_glass or decision.break_glass
        else:
            reasons[decision.reason] += 1
            withheld_categories.add(category)
    paginator: Paginator[Any] = Paginator(allowed, per_page or settings.WRAPAROUND_PAGE_SIZE)
    page_of_ids = paginator.get_page(page)
    notes = {
        note.pk: note
        for note in CaseNote.objects.filter(pk__in=list(page_of_ids)).select_related(
            "author", "author_organisation"
        )
    }
    shown: Page[Any] = Page(
        [notes[note_id] for note_id in page_of_ids], page_of_ids.number, paginator
    )
    if notes or reasons:
        audit_reads(
            actor=actor,
            action="case_notes.view",
            purpose=Purpose.CARE_COORDINATION,
            summary=f"Read {len(notes)} note(s) on case {case.reference}",
            reads=[
                PersonRead(
                    person.pk,
                    sorted({note.category for note in notes.values()}),
                    "; ".join(sorted(grounds)) or "no note shown",
                    break_glass,
                    sorted(withheld_categories),
                )
            ],
        )
    withheld = [_withheld_line(count, reason) for reason, count in sorted(reasons.items())]
    return CaseNotes(shown, withheld)
