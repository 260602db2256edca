"""Writes to plans: network plan settings, exit plans and their check-ins, care plans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Role
from wraparound.assessments.models import Need
from wraparound.audit.services import audit_record
from wraparound.cases.models import Case, CaseStatus
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import portal_subject_access, require
from wraparound.core.models import Network
from wraparound.directory.models import Organisation, Service
from wraparound.plans.config import current_plan_settings
from wraparound.plans.models import (
    CARE_PLAN_TRANSITIONS,
    CHECK_IN_EVERY_WEEKS,
    CHECK_IN_TRANSITIONS,
    FOLLOW_UP_AFTER_CLOSE_WEEKS,
    LONGEST_REVIEW_WEEKS,
    STEP_DOWN_ORDER,
    ActionOwner,
    ActionUpdate,
    AgreementMethod,
    CarePlan,
    CarePlanStatus,
    CheckInStatus,
    ExitCheckIn,
    ExitPlan,
    ExitPlanStatus,
    ExitStage,
    Goal,
    PlanAction,
    PlanSettings,
    SupportLevel,
)
from wraparound.portal.models import CitizenAccount

PLANS = [DataCategory.PLANS_REFERRALS]


def _require_lead_caseworker(actor: Actor, case: Case) -> None:
    membership = actor.require_membership()
    if membership.organisation_id != case.lead_organisation_id:
        raise PermissionDenied("Only the lead organisation can change this case's plans")
    if membership.role not in CASEWORK_ROLES:
        raise PermissionDenied(f"The {membership.get_role_display()} role cannot change plans")


# --- network settings -------------------------------------------------------------------------


def plan_settings_update(
    *,
    actor: Actor,
    network: Network,
    max_exit_plan_weeks: int,
    representation_window_days: int,
    default_review_weeks: int,
    note: str = "",
) -> PlanSettings:
    """A new version of the network's plan settings (network administrators only)."""
    membership = actor.require_membership()
    if membership.role != Role.NETWORK_ADMIN or membership.organisation.network_id != network.pk:
        raise PermissionDenied("Only the network's administrators change plan settings")
    with transaction.atomic():
        previous = current_plan_settings(network)
        created = PlanSettings(
            network=network,
            version=previous.version + 1,
            max_exit_plan_weeks=max_exit_plan_weeks,
            representation_window_days=representation_window_days,
            default_review_weeks=default_review_weeks,
            note=note.strip(),
            created_by=actor.user,
        )
        created.full_clean()  # ValidationError keyed by field for out-of-range values
        created.save()
        audit_record(
            actor=actor,
            action="plan_settings.update",
            target=created,
            summary=f"Plan settings version {created.version} for {network.name}",
            changes={
                name: [getattr(previous, name), getattr(created, name)]
                for name in (
                    "max_exit_plan_weeks",
                    "representation_window_days",
                    "default_review_weeks",
                )
                if getattr(previous, name) != getattr(created, name)
            },
        )
    return created


# --- exit plans -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageInput:
    level: str
    weeks: int


def check_in_schedule(starts_on: date, stages: Sequence[StageInput]) -> list[tuple[date, str]]:
    """Dated check-ins for a step-down schedule. Each is due one interval after the one
    before, the interval being that of the level in force then (weekly when intensive,
    fortnightly when supported, four-weekly at light touch), up to the planned close; then
    follow-ups 4, 12 and 26 weeks after closing. As levels only step down, the gaps between
    check-ins never shrink, however short a stage."""
    bounds: list[tuple[date, date, str]] = []
    start = starts_on
    for stage in stages:
        end = start + timedelta(weeks=stage.weeks)
        bounds.append((start, end, stage.level))
        start = end
    close = start
    due: list[tuple[date, str]] = []
    day = starts_on
    while day < close:
        level = next(level for begin, end, level in bounds if begin <= day < end)
        day += timedelta(weeks=CHECK_IN_EVERY_WEEKS[level])
        if day > close:
            break
        due.append((day, level))
    due.extend(
        (close + timedelta(weeks=weeks), SupportLevel.CLOSED)
        for weeks in FOLLOW_UP_AFTER_CLOSE_WEEKS
    )
    return due


def _clean_stages(
    stages: Sequence[StageInput], *, max_weeks: int
) -> tuple[list[StageInput], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    kept = [s for s in stages if s.weeks]
    if any(s.weeks < 0 for s in stages):
        errors["stages"] = ["Weeks at each level must be 0 or more"]
    elif not kept:
        errors["stages"] = ["Give at least one level of support a number of weeks"]
    unknown = [s.level for s in kept if s.level not in STEP_DOWN_ORDER]
    if unknown:
        errors["stages"] = [f"Unknown level of support: {', '.join(unknown)}"]
    elif kept:
        order = [STEP_DOWN_ORDER.index(s.level) for s in kept]
        if order != sorted(set(order)):
            errors["stages"] = [
                "Support must step down: intensive, then supported, then light touch, "
                "each level once"
            ]
    total = sum(s.weeks for s in kept if s.weeks > 0)
    if total > max_weeks:
        errors["stages"] = [
            f"The exit plan lasts {total} weeks: the network allows at most {max_weeks} weeks"
        ]
    return kept, errors


def exit_plan_create(
    *,
    actor: Actor,
    case: Case,
    stages: Sequence[StageInput],
    starts_on: date | None = None,
    note: str = "",
) -> ExitPlan:
    """A step-down schedule for the case, replacing any earlier exit plan (whose check-ins
    still due are cancelled). Check-ins are created by the background worker on commit."""
    _require_lead_caseworker(actor, case)
    membership = actor.require_membership()
    settings = current_plan_settings(case.network_id)
    today = timezone.localdate()
    starts_on = starts_on or today
    kept, errors = _clean_stages(stages, max_weeks=settings.max_exit_plan_weeks)
    if case.status == CaseStatus.CLOSED:
        errors["case"] = ["Reopen the case before making an exit plan"]
    if starts_on < case.opened_on:
        errors["starts_on"] = [
            f"The start cannot be before the case opened ({case.opened_on:%d %B %Y})"
        ]
    elif starts_on > today + timedelta(weeks=12):
        errors["starts_on"] = ["The start must be within the next 12 weeks"]
    if errors:
        raise ValidationError(errors)
    total = sum(s.weeks for s in kept)
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()
        replaced = list(ExitPlan.objects.filter(case=case, status=ExitPlanStatus.ACTIVE))
        for old in replaced:
            old.status = ExitPlanStatus.REPLACED
            old.save(update_fields=["status"])
            ExitCheckIn.objects.filter(exit_plan=old, status=CheckInStatus.DUE).update(
                status=CheckInStatus.CANCELLED
            )
        plan = ExitPlan.objects.create(
            case=case,
            person_id=case.person_id,
            starts_on=starts_on,
            planned_close_on=starts_on + timedelta(weeks=total),
            note=note.strip(),
            created_by=actor.user,
            created_by_organisation_id=membership.organisation_id,
        )
        start = starts_on
        for position, stage in enumerate(kept):
            ExitStage.objects.create(
                exit_plan=plan,
                position=position,
                level=stage.level,
                weeks=stage.weeks,
                starts_on=start,
            )
            start += timedelta(weeks=stage.weeks)
        schedule = " → ".join(f"{SupportLevel(s.level).label.lower()} {s.weeks}w" for s in kept)
        audit_record(
            actor=actor,
            action="exit_plan.create",
            person_id=case.person_id,
            target=plan,
            summary=f"Exit plan for case {case.reference}: {schedule} → closed "
            f"({plan.planned_close_on:%d %b %Y})"
            + (f"; replaces exit plan #{replaced[0].pk}" if replaced else ""),
            categories=PLANS,
        )
        from wraparound.plans.tasks import create_exit_check_ins

        transaction.on_commit(partial(create_exit_check_ins.enqueue, exit_plan_id=plan.pk))
    return plan


def exit_check_ins_create(*, actor: Actor, exit_plan: ExitPlan) -> list[ExitCheckIn]:
    """The exit plan's dated check-ins (run by the background worker; safe to run twice)."""
    with transaction.atomic():
        plan = ExitPlan.objects.select_for_update().select_related("case").get(pk=exit_plan.pk)
        if plan.check_ins_created_at is not None or plan.status != ExitPlanStatus.ACTIVE:
            return []
        stages = [StageInput(s.level, s.weeks) for s in plan.stages.order_by("position")]
        created = ExitCheckIn.objects.bulk_create(
            ExitCheckIn(
                exit_plan=plan, level=level, due_on=due_on, assigned_to_id=plan.case.key_worker_id
            )
            for due_on, level in check_in_schedule(plan.starts_on, stages)
        )
        plan.check_ins_created_at = timezone.now()
        plan.save(update_fields=["check_ins_created_at"])
        audit_record(
            actor=actor,
            action="exit_plan.check_ins",
            person_id=plan.person_id,
            target=plan,
            summary=f"{len(created)} check-ins scheduled for case {plan.case.reference}, "
            f"{created[0].due_on:%d %b %Y} to {created[-1].due_on:%d %b %Y}",
            categories=PLANS,
        )
    return created


def exit_check_in_complete(
    *, actor: Actor, check_in: ExitCheckIn, on: date | None = None
) -> ExitCheckIn:
    case = check_in.exit_plan.case
    _require_lead_caseworker(actor, case)
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"done_on": ["The date cannot be in the future"]})
    with transaction.atomic():
        check_in = ExitCheckIn.objects.select_for_update().get(pk=check_in.pk)
        if CheckInStatus.DONE not in CHECK_IN_TRANSITIONS[check_in.status]:
            raise ValidationError(
                {"status": [f"This check-in is {check_in.get_status_display().lower()} already"]}
            )
        check_in.status = CheckInStatus.DONE
        check_in.done_on = on
        check_in.save(update_fields=["status", "done_on"])
        audit_record(
            actor=actor,
            action="exit_check_in.complete",
            person_id=case.person_id,
            target=check_in,
            summary=f"Check-in due {check_in.due_on:%d %b %Y} done for case {case.reference}",
            categories=PLANS,
        )
    return check_in


# --- care plans -------------------------------------------------------------------------------

MAX_TEXT = 500
LONGEST_TARGET_DAYS = 365 * 3


def _require_draft(plan: CarePlan) -> None:
    if plan.status != CarePlanStatus.DRAFT:
        raise ValidationError(
            {"plan": ["An agreed plan is never changed: start a new version to change it"]}
        )


def _text(errors: dict[str, list[str]], name: str, value: str, message: str) -> str:
    value = value.strip()
    if not value:
        errors[name] = [message]
    elif len(value) > MAX_TEXT:
        errors[name] = [f"Must be {MAX_TEXT} characters or fewer"]
    return value


def care_plan_start(*, actor: Actor, case: Case, review_on: date | None = None) -> CarePlan:
    """A new draft version of the case's care plan, copied from the agreed version if any
    (its goals and actions, to change before agreeing again)."""
    _require_lead_caseworker(actor, case)
    membership = actor.require_membership()
    if case.status == CaseStatus.CLOSED:
        raise ValidationError({"case": ["Reopen the case before planning"]})
    settings = current_plan_settings(case.network_id)
    today = timezone.localdate()
    review_on = review_on or today + timedelta(weeks=settings.default_review_weeks)
    _check_review(review_on)
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()
        versions = list(CarePlan.objects.filter(case=case).order_by("-version"))
        if any(p.status == CarePlanStatus.DRAFT for p in versions):
            raise ValidationError({"plan": ["This case has a draft plan already: finish that one"]})
        agreed = next((p for p in versions if p.status == CarePlanStatus.AGREED), None)
        plan = CarePlan.objects.create(
            case=case,
            person_id=case.person_id,
            version=(versions[0].version + 1) if versions else 1,
            summary=agreed.summary if agreed else "",
            review_on=review_on,
            created_by=actor.user,
            created_by_organisation_id=membership.organisation_id,
        )
        if agreed is not None:
            for goal in agreed.goals.prefetch_related("actions"):
                actions = list(goal.actions.all())
                goal.pk = None
                goal.plan = plan
                goal.save()
                for action in actions:
                    action.pk = None
                    action.goal = goal
                    action.save()
        audit_record(
            actor=actor,
            action="care_plan.start",
            person_id=case.person_id,
            target=plan,
            summary=f"Care plan version {plan.version} drafted for case {case.reference}"
            + (f" from version {agreed.version}" if agreed else ""),
            categories=PLANS,
        )
    return plan


def _check_review(review_on: date) -> None:
    today = timezone.localdate()
    if review_on <= today:
        raise ValidationError({"review_on": ["The review date must be in the future"]})
    if review_on > today + timedelta(weeks=LONGEST_REVIEW_WEEKS):
        raise ValidationError(
            {"review_on": [f"Review the plan within {LONGEST_REVIEW_WEEKS} weeks"]}
        )


def care_plan_update(*, actor: Actor, plan: CarePlan, summary: str, review_on: date) -> CarePlan:
    _require_lead_caseworker(actor, plan.case)
    _require_draft(plan)
    summary = summary.strip()
    if len(summary) > 2000:
        raise ValidationError({"summary": ["The summary must be 2,000 characters or fewer"]})
    _check_review(review_on)
    with transaction.atomic():
        plan.summary = summary
        plan.review_on = review_on
        plan.save(update_fields=["summary", "review_on"])
        audit_record(
            actor=actor,
            action="care_plan.update",
            person_id=plan.person_id,
            target=plan,
            summary=f"Draft care plan version {plan.version} changed",
            categories=PLANS,
        )
    return plan


def goal_add(
    *,
    actor: Actor,
    plan: CarePlan,
    need: Need | None,
    what: str,
    measure: str,
    target_on: date | None,
) -> Goal:
    """A goal for one of the person's assessed needs (a goal without a need is refused)."""
    _require_lead_caseworker(actor, plan.case)
    _require_draft(plan)
    errors: dict[str, list[str]] = {}
    if need is None:
        errors["need"] = ["Choose the assessed need this goal meets"]
    elif need.person_id != plan.person_id:
        errors["need"] = ["That need is not this person's"]
    what = _text(errors, "what", what, "Say what the person wants to achieve")
    measure = _text(errors, "measure", measure, "Say how you will both know it is achieved")
    today = timezone.localdate()
    if target_on is None:
        errors["target_on"] = ["Enter the target date"]
    elif target_on <= today:
        errors["target_on"] = ["The target date must be in the future"]
    elif target_on > today + timedelta(days=LONGEST_TARGET_DAYS):
        errors["target_on"] = ["The target date must be within 3 years"]
    if errors:
        raise ValidationError(errors)
    assert need is not None and target_on is not None
    with transaction.atomic():
        position = plan.goals.count() + 1
        goal = Goal.objects.create(
            plan=plan,
            need=need,
            need_category=need.category,
            position=position,
            what=what,
            measure=measure,
            target_on=target_on,
        )
        audit_record(
            actor=actor,
            action="care_plan.goal_add",
            person_id=plan.person_id,
            target=goal,
            summary=f"Goal {position} added to draft care plan version {plan.version}",
            categories=PLANS,
        )
    return goal


def goal_remove(*, actor: Actor, goal: Goal) -> None:
    plan = goal.plan
    _require_lead_caseworker(actor, plan.case)
    _require_draft(plan)
    with transaction.atomic():
        goal.actions.all().delete()
        goal.delete()
        audit_record(
            actor=actor,
            action="care_plan.goal_remove",
            person_id=plan.person_id,
            target=plan,
            summary=f"A goal removed from draft care plan version {plan.version}",
            categories=PLANS,
        )


def action_add(
    *,
    actor: Actor,
    goal: Goal,
    description: str,
    owner: str,
    due_on: date | None,
    owner_organisation: Organisation | None = None,
    service: Service | None = None,
) -> PlanAction:
    plan = goal.plan
    _require_lead_caseworker(actor, plan.case)
    _require_draft(plan)
    errors: dict[str, list[str]] = {}
    description = _text(errors, "description", description, "Say what will be done")
    if owner not in ActionOwner.values:
        errors["owner"] = ["Choose who will do it"]
    network_id = plan.case.network_id
    if service is not None:
        if service.organisation.network_id != network_id:
            errors["service"] = ["That service is not in this network"]
        owner_organisation = owner_organisation or service.organisation
    if owner == ActionOwner.AGENCY:
        if owner_organisation is None:
            errors["owner_organisation"] = ["Choose the agency that will do it"]
        elif owner_organisation.network_id != network_id:
            errors["owner_organisation"] = ["That agency is not in this network"]
    else:
        owner_organisation = None
    today = timezone.localdate()
    if due_on is None:
        errors["due_on"] = ["Enter the date it is due"]
    elif due_on < today:
        errors["due_on"] = ["The due date cannot be in the past"]
    elif due_on > today + timedelta(days=LONGEST_TARGET_DAYS):
        errors["due_on"] = ["The due date must be within 3 years"]
    if errors:
        raise ValidationError(errors)
    assert due_on is not None
    with transaction.atomic():
        action = PlanAction.objects.create(
            goal=goal,
            position=goal.actions.count() + 1,
            description=description,
            owner=owner,
            owner_organisation=owner_organisation,
            service=service,
            due_on=due_on,
        )
        audit_record(
            actor=actor,
            action="care_plan.action_add",
            person_id=plan.person_id,
            target=action,
            summary=f"Action added to goal {goal.position} of draft care plan version "
            f"{plan.version}",
            categories=PLANS,
        )
    return action


def action_mark_done(*, actor: Actor, action: PlanAction, on: date | None = None) -> PlanAction:
    """Progress on the plan in force (or a draft): allowed on an agreed version, because it
    records what happened rather than changing what was agreed."""
    plan = action.goal.plan
    _require_lead_caseworker(actor, plan.case)
    if plan.status == CarePlanStatus.SUPERSEDED:
        raise ValidationError({"plan": ["This version was superseded: use the current plan"]})
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"done_on": ["The date cannot be in the future"]})
    if action.done_on is not None:
        raise ValidationError({"done_on": ["This action is done already"]})
    with transaction.atomic():
        action.done_on = on
        action.save(update_fields=["done_on"])
        audit_record(
            actor=actor,
            action="care_plan.action_done",
            person_id=plan.person_id,
            target=action,
            summary=f"Action {action.position} of goal {action.goal.position} done "
            f"(care plan version {plan.version})",
            categories=PLANS,
        )
    return action


def care_plan_agree(
    *,
    actor: Actor,
    plan: CarePlan,
    method: str,
    agreed_on: date | None = None,
    note: str = "",
) -> CarePlan:
    """Record the person's agreement: the draft becomes the plan in force and the version
    agreed before it is superseded."""
    _require_lead_caseworker(actor, plan.case)
    if CarePlanStatus.AGREED not in CARE_PLAN_TRANSITIONS[plan.status]:
        raise ValidationError({"plan": [f"This version is {plan.get_status_display().lower()}"]})
    errors: dict[str, list[str]] = {}
    if method not in AgreementMethod.values:
        errors["agreement_method"] = ["Choose how the person agreed"]
    agreed_on = agreed_on or timezone.localdate()
    if agreed_on > timezone.localdate():
        errors["agreed_on"] = ["The date cannot be in the future"]
    elif agreed_on < plan.created_at.date():
        errors["agreed_on"] = ["The date cannot be before the plan was drafted"]
    note = note.strip()
    if len(note) > MAX_TEXT:
        errors["agreement_note"] = [f"Must be {MAX_TEXT} characters or fewer"]
    goals = list(plan.goals.prefetch_related("actions"))
    if not goals:
        errors["plan"] = ["Add at least one goal before the person agrees the plan"]
    elif any(not g.actions.all() for g in goals):
        without = ", ".join(str(g.position) for g in goals if not g.actions.all())
        errors["plan"] = [f"Give every goal at least one action (goal {without} has none)"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        superseded = list(
            CarePlan.objects.select_for_update().filter(
                case_id=plan.case_id, status=CarePlanStatus.AGREED
            )
        )
        for old in superseded:
            old.status = CarePlanStatus.SUPERSEDED
            old.save(update_fields=["status"])
        plan.status = CarePlanStatus.AGREED
        plan.agreed_on = agreed_on
        plan.agreement_method = method
        plan.agreement_note = note
        plan.save(update_fields=["status", "agreed_on", "agreement_method", "agreement_note"])
        Case.objects.filter(pk=plan.case_id).update(last_activity_at=timezone.now())
        audit_record(
            actor=actor,
            action="care_plan.agree",
            person_id=plan.person_id,
            target=plan,
            summary=f"Care plan version {plan.version} agreed "
            f"({AgreementMethod(method).label.lower()}), review by {plan.review_on:%d %b %Y}"
            + (f"; supersedes version {superseded[0].version}" if superseded else ""),
            categories=PLANS,
            changes={"status": [CarePlanStatus.DRAFT, CarePlanStatus.AGREED]},
        )
    return plan


def action_update_by_person(
    *,
    actor: Actor,
    account: CitizenAccount,
    action: PlanAction,
    done: bool,
    note: str = "",
) -> ActionUpdate:
    """The person marks one of THEIR OWN actions done and/or adds a note, in the portal.
    Actions of the key worker or an agency take a note only: only they mark those done."""
    plan = action.goal.plan
    require(portal_subject_access(account_id=account.pk, person_id=plan.person_id))
    if plan.status != CarePlanStatus.AGREED:
        raise ValidationError({"note": [gettext("Only the plan in force can be updated")]})
    errors: dict[str, list[str]] = {}
    if done and action.owner != ActionOwner.PERSON:
        errors["done"] = [gettext("Only the person doing this action can mark it done")]
    if done and action.done_on is not None:
        errors["done"] = [gettext("This action is done already")]
    if len(note) > 500:
        errors["note"] = [gettext("The note must be 500 characters or fewer")]
    if not done and not note.strip():
        errors["note"] = [gettext("Write a note, or mark the action done")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        update = ActionUpdate.objects.create(
            action=action,
            marked_done=done,
            note=note.strip(),
            by_account=account,
            on_behalf=account.person_id != plan.person_id,
        )
        if done:
            action.done_on = timezone.localdate()
            action.save(update_fields=["done_on"])
        audit_record(
            actor=actor,
            action="care_plan.action_update_by_person",
            person_id=plan.person_id,
            target=update,
            summary=f"Action {action.position} of goal {action.goal.position} "
            + ("marked done" if done else "noted")
            + " in the portal",
            categories=PLANS,
        )
    return update
