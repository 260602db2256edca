"""Writes to cases: open, assign a key worker, step down, close, reopen, add a note."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASE_OPENING_ROLES, CASEWORK_ROLES, Membership, Role, User
from wraparound.audit.services import audit_record
from wraparound.cases.models import (
    CASE_TRANSITIONS,
    MAX_NOTE_LENGTH,
    NOTE_CATEGORIES,
    Case,
    CaseNote,
    CaseStatus,
    ClosureReason,
    EntryRoute,
)
from wraparound.cases.tasks import notify_key_worker_assigned
from wraparound.consent.categories import DataCategory, category_label
from wraparound.consent.grants import sync_access_grants
from wraparound.consent.policy import Action, decide
from wraparound.people.models import Household, HouseholdMember, Person
from wraparound.plans.selectors import exit_plan_missing
from wraparound.satisfaction.models import SurveyTrigger
from wraparound.satisfaction.services import survey_send

KEY_WORKER_ROLES = (Role.KEY_WORKER, Role.MANAGER)


def _require_lead_role(actor: Actor, case_org_id: int, roles: frozenset[str]) -> None:
    membership = actor.require_membership()
    if membership.organisation_id != case_org_id:
        raise PermissionDenied("Only the lead organisation can change this case")
    if membership.role not in roles:
        raise PermissionDenied(f"The {membership.get_role_display()} role cannot change cases")


def _check_day(value: date, *, label: str, not_before: date | None = None) -> None:
    if value > timezone.localdate():
        raise ValidationError({label: ["The date cannot be in the future"]})
    if not_before is not None and value < not_before:
        raise ValidationError({label: [f"The date cannot be before {not_before:%d %B %Y}"]})


def _check_key_worker(*, organisation_id: int, key_worker: User) -> None:
    is_member = Membership.objects.filter(
        user=key_worker,
        organisation_id=organisation_id,
        is_active=True,
        role__in=KEY_WORKER_ROLES,
        user__is_active=True,
    ).exists()
    if not is_member:
        raise ValidationError(
            {
                "key_worker": [
                    f"{key_worker.name} is not an active key worker of the lead organisation"
                ]
            }
        )


def _enqueue_notification(case: Case) -> None:
    if case.key_worker_id is not None:
        transaction.on_commit(
            partial(
                notify_key_worker_assigned.enqueue,
                case_id=case.pk,
                key_worker_id=case.key_worker_id,
            )
        )


def case_open(
    *,
    actor: Actor,
    person: Person,
    entry_route: str,
    household: Household | None = None,
    key_worker: User | None = None,
    opened_on: date | None = None,
    notify: bool = True,
) -> Case:
    """Open a case led by the actor's organisation."""
    membership = actor.require_membership()
    if membership.role not in CASE_OPENING_ROLES:
        raise PermissionDenied(f"The {membership.get_role_display()} role cannot open cases")
    if not decide(actor=actor, person=person, action=Action.EDIT):
        raise PermissionDenied("You cannot open a case for this person")
    if entry_route not in EntryRoute.values:
        raise ValidationError({"entry_route": ["Choose how the person came to us"]})
    opened_on = opened_on or timezone.localdate()
    _check_day(opened_on, label="opened_on")
    if (
        household is not None
        and not HouseholdMember.objects.filter(household=household, person=person).exists()
    ):
        raise ValidationError({"household": ["The person is not a member of that household"]})
    if key_worker is not None:
        _check_key_worker(organisation_id=membership.organisation_id, key_worker=key_worker)
    try:
        with transaction.atomic():
            case = Case.objects.create(
                network_id=person.network_id,
                person=person,
                household=household,
                lead_organisation_id=membership.organisation_id,
                key_worker=key_worker,
                entry_route=entry_route,
                opened_on=opened_on,
            )
            sync_access_grants([person.pk])
            audit_record(
                actor=actor,
                action="case.open",
                person_id=person.pk,
                target=case,
                summary=f"Case {case.reference} opened by {membership.organisation.name}"
                + (f" with {key_worker.name} as key worker" if key_worker else ""),
                categories=["cases"],
            )
            if notify:
                _enqueue_notification(case)
    except IntegrityError as exc:
        raise ValidationError(
            {
                "person": [
                    f"{person.full_name} already has an active case with "
                    f"{membership.organisation.name}: open that one instead"
                ]
            }
        ) from exc
    return case


def case_assign_key_worker(
    *, actor: Actor, case: Case, key_worker: User, notify: bool = True
) -> Case:
    """Make ``key_worker`` the case's key worker; they are e-mailed unless ``notify`` is off
    (for history being loaded, such as the demo seed or an import)."""
    _require_lead_role(actor, case.lead_organisation_id, frozenset(KEY_WORKER_ROLES))
    if case.status == CaseStatus.CLOSED:
        raise ValidationError({"key_worker": ["Reopen the case before assigning a key worker"]})
    _check_key_worker(organisation_id=case.lead_organisation_id, key_worker=key_worker)
    if case.key_worker_id == key_worker.pk:
        return case
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        before = case.key_worker
        case.key_worker = key_worker
        case.last_activity_at = timezone.now()
        case.save(update_fields=["key_worker", "last_activity_at", "updated_at"])
        sync_access_grants([case.person_id])
        audit_record(
            actor=actor,
            action="case.assign_key_worker",
            person_id=case.person_id,
            target=case,
            summary=f"Key worker for case {case.reference} changed"
            + (f" from {before.name}" if before else "")
            + f" to {key_worker.name}",
            categories=["cases"],
            changes={"key_worker": [before.name if before else None, key_worker.name]},
        )
        if notify:
            _enqueue_notification(case)
    return case


def _move(case: Case, to: str) -> None:
    if to not in CASE_TRANSITIONS[case.status]:
        raise ValidationError(
            {
                "status": [
                    f"A case that is {case.get_status_display().lower()} cannot be "
                    f"{CaseStatus(to).label.lower()}"
                ]
            }
        )


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("person").get(pk=case.pk)


def case_step_down(*, actor: Actor, case: Case, on: date | None = None) -> Case:
    """Step a case down to lighter support: it stays active for follow-ups."""
    _require_lead_role(actor, case.lead_organisation_id, CASE_OPENING_ROLES)
    on = on or timezone.localdate()
    _check_day(on, label="stepped_down_on", not_before=case.opened_on)
    with transaction.atomic():
        case = _locked(case)
        _move(case, CaseStatus.STEPPED_DOWN)
        case.status = CaseStatus.STEPPED_DOWN
        case.stepped_down_on = on
        case.last_activity_at = timezone.now()
        case.save()
        audit_record(
            actor=actor,
            action="case.step_down",
            person_id=case.person_id,
            target=case,
            summary=f"Case {case.reference} stepped down",
            categories=["cases"],
            changes={"status": [CaseStatus.OPEN, CaseStatus.STEPPED_DOWN]},
        )
        transaction.on_commit(
            lambda: survey_send(case=case, trigger=SurveyTrigger.STEP_DOWN, actor=actor),
            robust=True,
        )
    return case


def case_close(
    *, actor: Actor, case: Case, reason: str, note: str = "", on: date | None = None
) -> Case:
    _require_lead_role(actor, case.lead_organisation_id, CASE_OPENING_ROLES)
    if reason not in ClosureReason.values:
        raise ValidationError({"closure_reason": ["Choose why the case is closing"]})
    note = note.strip()
    if reason == ClosureReason.OTHER and not note:
        raise ValidationError({"closure_note": ["Say why the case is closing"]})
    on = on or timezone.localdate()
    _check_day(on, label="closed_on", not_before=case.opened_on)
    with transaction.atomic():
        case = _locked(case)
        _move(case, CaseStatus.CLOSED)
        missing = exit_plan_missing(case, reason=reason)
        if missing:
            raise ValidationError({"exit_plan": [missing]})
        before = case.status
        case.status = CaseStatus.CLOSED
        case.closed_on = on
        case.closure_reason = reason
        case.closure_note = note
        case.last_activity_at = timezone.now()
        case.save()
        audit_record(
            actor=actor,
            action="case.close",
            person_id=case.person_id,
            target=case,
            summary=f"Case {case.reference} closed: {ClosureReason(reason).label.lower()}",
            categories=["cases"],
            changes={"status": [before, CaseStatus.CLOSED]},
        )
        transaction.on_commit(
            lambda: survey_send(case=case, trigger=SurveyTrigger.CLOSURE, actor=actor),
            robust=True,
        )
    return case


def case_reopen(*, actor: Actor, case: Case) -> Case:
    """Back to open support, from stepped down or closed (e.g. when the person re-presents)."""
    _require_lead_role(actor, case.lead_organisation_id, CASE_OPENING_ROLES)
    try:
        with transaction.atomic():
            case = _locked(case)
            _move(case, CaseStatus.OPEN)
            before = case.status
            case.status = CaseStatus.OPEN
            case.closed_on = None
            case.closure_reason = ""
            case.closure_note = ""
            case.stepped_down_on = None
            case.last_activity_at = timezone.now()
            case.save()
            audit_record(
                actor=actor,
                action="case.reopen",
                person_id=case.person_id,
                target=case,
                summary=f"Case {case.reference} reopened",
                categories=["cases"],
                changes={"status": [before, CaseStatus.OPEN]},
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"status": ["The person already has another active case with this organisation"]}
        ) from exc
    return case


def case_note_add(
    *, actor: Actor, case: Case, text: str, category: str = DataCategory.CASE_NOTES
) -> CaseNote:
    """A note on the case by a caseworker of its lead organisation, encrypted at rest.

    Its category decides who else sees it: a general case note goes where case notes are
    shared; one about health, mental health, substance use, legal matters or safety only to
    organisations holding the person's consent for that category.
    """
    _require_lead_role(actor, case.lead_organisation_id, CASEWORK_ROLES)
    membership = actor.require_membership()
    errors: dict[str, list[str]] = {}
    text = text.strip()
    if not text:
        errors["text"] = ["Enter the note"]
    elif len(text) > MAX_NOTE_LENGTH:
        errors["text"] = [f"The note must be {MAX_NOTE_LENGTH:,} characters or fewer"]
    if category not in NOTE_CATEGORIES:
        errors["category"] = ["Choose what the note is about"]
    if case.status == CaseStatus.CLOSED:
        errors["text"] = ["Reopen the case before adding a note"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        note = CaseNote.objects.create(
            case=case,
            author=membership.user,
            author_organisation_id=membership.organisation_id,
            category=category,
            text=text,
        )
        Case.objects.filter(pk=case.pk).update(last_activity_at=note.created_at)
        audit_record(
            actor=actor,
            action="case_note.add",
            person_id=case.person_id,
            target=note,
            summary=f"Note ({category_label(category)}) added to case {case.reference}",
            categories=[category],
        )
    return note
