"""Reads of plans, through the access policy (category: cases, plans and referrals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Case as SqlCase
from django.db.models import IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When

from wraparound.accounts.actor import Actor
from wraparound.audit.services import PersonRead, audit_reads
from wraparound.cases.models import Case, ClosureReason
from wraparound.consent.categories import DataCategory
from wraparound.consent.models import Purpose
from wraparound.consent.policy import decide, visible_people
from wraparound.directory.models import Service, ServiceStatus
from wraparound.directory.needs import PriorityClass
from wraparound.directory.selectors import network_services
from wraparound.people.models import Person
from wraparound.people.selectors import PersonNotFound, decide_or_404
from wraparound.plans.models import (
    CarePlan,
    CarePlanStatus,
    CheckInStatus,
    ExitCheckIn,
    ExitPlan,
    ExitPlanStatus,
    Goal,
    PlanAction,
)

if TYPE_CHECKING:
    from wraparound.assessments.models import Need

# A case may close without an exit plan only when there is no one to step down: the person
# died, moved out of the area, or was transferred to a service that plans their support.
EXIT_PLAN_EXEMPT_CLOSURES = frozenset(
    {ClosureReason.DIED, ClosureReason.MOVED_AWAY, ClosureReason.TRANSFERRED}
)


def has_exit_plan(case: Case) -> bool:
    """Whether the case has an exit plan in force (closing needs one)."""
    return ExitPlan.objects.filter(case_id=case.pk, status=ExitPlanStatus.ACTIVE).exists()


def exit_plan_missing(case: Case, *, reason: str) -> str | None:
    """Why a case cannot close for ``reason`` yet, or None when it may."""
    if reason in EXIT_PLAN_EXEMPT_CLOSURES or has_exit_plan(case):
        return None
    return (
        "Make an exit plan before closing the case: a step-down schedule with follow-up "
        "check-ins. Only a case closing because the person died, moved away or was "
        "transferred closes without one"
    )


def _plans_decision(actor: Actor, case: Case) -> PersonRead:
    decision = decide(actor=actor, person=case.person, category=DataCategory.PLANS_REFERRALS)
    if not decision:
        raise PersonNotFound("No case with that id")
    return PersonRead(
        case.person_id,
        [DataCategory.PLANS_REFERRALS],
        decision.reason,
        decision.break_glass,
    )


@dataclass(frozen=True)
class ExitPlanView:
    plan: ExitPlan
    check_ins: list[ExitCheckIn]
    earlier: list[ExitPlan]


def exit_plan_for_case(*, actor: Actor, case: Case) -> ExitPlanView | None:
    """The case's exit plan in force with its check-ins, and earlier (replaced) ones.
    ``case`` comes from ``cases.selectors.case_get`` (so its person is visible)."""
    read = _plans_decision(actor, case)
    plans = list(
        ExitPlan.objects.filter(case=case)
        .select_related("created_by", "created_by_organisation")
        .prefetch_related("stages")
        .order_by("-created_at", "-id")
    )
    audit_reads(
        actor=actor,
        action="exit_plan.view",
        purpose=Purpose.CARE_COORDINATION,
        summary=f"Viewed the exit plan of case {case.reference}",
        reads=[read],
    )
    active = next((p for p in plans if p.status == ExitPlanStatus.ACTIVE), None)
    if active is None:
        return None if not plans else ExitPlanView(plans[0], [], plans[1:])
    check_ins = list(active.check_ins.select_related("assigned_to").order_by("due_on"))
    return ExitPlanView(active, check_ins, [p for p in plans if p.pk != active.pk])


def check_in_get(*, actor: Actor, case: Case, check_in_id: int) -> ExitCheckIn:
    _plans_decision(actor, case)
    found = (
        ExitCheckIn.objects.select_related("exit_plan__case")
        .filter(pk=check_in_id, exit_plan__case=case)
        .first()
    )
    if found is None:
        raise PersonNotFound("No check-in with that id")
    return found


def check_ins_due(*, actor: Actor, until: date) -> QuerySet[ExitCheckIn]:
    """The actor's exit-plan check-ins still due on or before ``until``, soonest first."""
    if actor.user is None:
        return ExitCheckIn.objects.none()
    return (
        ExitCheckIn.objects.filter(
            assigned_to=actor.user,
            status=CheckInStatus.DUE,
            due_on__lte=until,
            exit_plan__status=ExitPlanStatus.ACTIVE,
            exit_plan__person__in=visible_people(actor),
        )
        .select_related("exit_plan__case", "exit_plan__person")
        .order_by("due_on", "id")
    )


# --- care plans -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CarePlans:
    """A case's care plan: the agreed version in force, the draft being prepared, and the
    superseded versions (newest first)."""

    current: CarePlan | None
    draft: CarePlan | None
    history: list[CarePlan]


def _with_contents(plans: QuerySet[CarePlan]) -> QuerySet[CarePlan]:
    return plans.select_related(
        "case__lead_organisation", "case__key_worker", "person", "created_by"
    ).prefetch_related(
        Prefetch(
            "goals",
            queryset=Goal.objects.select_related("need").prefetch_related(
                Prefetch(
                    "actions",
                    queryset=PlanAction.objects.select_related(
                        "owner_organisation", "service__organisation"
                    ),
                )
            ),
        )
    )


def care_plans_for_case(*, actor: Actor, case: Case) -> CarePlans:
    """``case`` comes from ``cases.selectors.case_get`` (its person is visible)."""
    read = _plans_decision(actor, case)
    plans = list(_with_contents(CarePlan.objects.filter(case=case)).order_by("-version"))
    audit_reads(
        actor=actor,
        action="care_plan.view",
        purpose=Purpose.CARE_COORDINATION,
        summary=f"Viewed the care plan of case {case.reference}",
        reads=[read],
    )
    return CarePlans(
        current=next((p for p in plans if p.status == CarePlanStatus.AGREED), None),
        draft=next((p for p in plans if p.status == CarePlanStatus.DRAFT), None),
        history=[p for p in plans if p.status == CarePlanStatus.SUPERSEDED],
    )


def care_plan_get(
    *, actor: Actor, plan_id: int, audit_as: str | None = "care_plan.view"
) -> CarePlan:
    plan = _with_contents(CarePlan.objects.filter(pk=plan_id)).first()
    if plan is None:
        raise PersonNotFound("No care plan with that id")
    decide_or_404(actor=actor, person=plan.person)
    read = _plans_decision(actor, plan.case)
    if audit_as:
        audit_reads(
            actor=actor,
            action=audit_as,
            purpose=Purpose.CARE_COORDINATION,
            summary=f"Viewed care plan version {plan.version} of case {plan.case.reference}",
            reads=[read],
        )
    return plan


def goal_get(*, actor: Actor, goal_id: int) -> Goal:
    goal = (
        Goal.objects.select_related("plan__case__person", "plan__person").filter(pk=goal_id).first()
    )
    if goal is None:
        raise PersonNotFound("No goal with that id")
    decide_or_404(actor=actor, person=goal.plan.person)
    _plans_decision(actor, goal.plan.case)
    return goal


def action_get(*, actor: Actor, action_id: int) -> PlanAction:
    action = (
        PlanAction.objects.select_related("goal__plan__case__person", "goal__plan__person")
        .filter(pk=action_id)
        .first()
    )
    if action is None:
        raise PersonNotFound("No action with that id")
    decide_or_404(actor=actor, person=action.goal.plan.person)
    _plans_decision(actor, action.goal.plan.case)
    return action


def plan_needs(*, actor: Actor, person: Person) -> list[Need]:
    """The person's current assessed needs, in the order to meet them (the assessment's
    own selector decides and audits the read)."""
    from wraparound.assessments.selectors import current_needs

    return current_needs(actor=actor, person=person)


RECOMMENDATIONS_PER_NEED = 5


def _eligible_ids(actor: Actor, person: Person) -> set[int] | None:
    try:
        from wraparound.eligibility.selectors import eligible_service_ids
    except ImportError:  # the eligibility engine is optional
        return None
    return eligible_service_ids(actor=actor, person=person)


def recommended_services(
    *, actor: Actor, person: Person, needs: list[str]
) -> dict[str, list[Service]]:
    """For each need category, services of the directory that meet it and that this person
    can use now: active and taking referrals, with free places (or no cap), covering the
    person's area (or the whole network), and that the person is eligible for. Priority
    (basic-need) services first, then by name; at most RECOMMENDATIONS_PER_NEED each."""
    if not needs:
        return {}
    services = network_services(actor=actor).filter(
        status=ServiceStatus.ACTIVE,
        accepts_referrals=True,
        needs__need__in=needs,
    )
    services = services.filter(Q(capacity_available__isnull=True) | Q(capacity_available__gt=0))
    if person.area_id is not None and person.area is not None:
        covering = [a.pk for a in person.area.lineage()]
        services = services.filter(
            Q(service_areas__area_id__in=covering) | Q(service_areas__isnull=True)
        )
    eligible = _eligible_ids(actor, person)
    if eligible is not None:
        services = services.filter(pk__in=eligible)
    ordered = (
        services.distinct()
        .annotate(
            first=SqlCase(
                When(priority_class=PriorityClass.PRIORITY, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .select_related("organisation")
        .prefetch_related("needs")
        .order_by("first", "name", "pk")
    )
    found: dict[str, list[Service]] = {need: [] for need in needs}
    for service in ordered:
        for need in service.need_codes:
            if need in found and len(found[need]) < RECOMMENDATIONS_PER_NEED:
                found[need].append(service)
    return found


def plan_overview_for_person(*, actor: Actor, person: Person) -> list[tuple[Case, CarePlans]]:
    """The person's cases (those the actor may see) with their care plans, for the person's
    plans page."""
    from wraparound.cases.selectors import cases_for_person

    cases = cases_for_person(actor=actor, person=person)
    if not cases:
        return []
    plans = list(
        CarePlan.objects.filter(case__in=cases)
        .exclude(status=CarePlanStatus.SUPERSEDED)
        .order_by("-version")
    )
    active_exit = set(
        ExitPlan.objects.filter(case__in=cases, status=ExitPlanStatus.ACTIVE).values_list(
            "case_id", flat=True
        )
    )
    result = []
    for case in cases:
        mine = [p for p in plans if p.case_id == case.pk]
        case.has_exit_plan = case.pk in active_exit  # type: ignore[attr-defined]
        result.append(
            (
                case,
                CarePlans(
                    current=next((p for p in mine if p.status == CarePlanStatus.AGREED), None),
                    draft=next((p for p in mine if p.status == CarePlanStatus.DRAFT), None),
                    history=[],
                ),
            )
        )
    audit_reads(
        actor=actor,
        action="care_plan.list",
        purpose=Purpose.CARE_COORDINATION,
        summary="Viewed the person's plans",
        reads=[PersonRead(person.pk, [DataCategory.PLANS_REFERRALS], "plans overview")],
    )
    return result


# --- the caseload -----------------------------------------------------------------------------


def caseload_columns() -> dict[str, Any]:
    """Annotations for a queryset of cases the actor may already see (their own caseload):
    ``tier``, the person's tier in force (latest completed assessment, after any override),
    and ``review_on``, the agreed care plan's review date. One subquery each, so a page of
    any length costs the same number of queries."""
    from wraparound.assessments.selectors import latest_tier_subquery

    return {
        "tier": latest_tier_subquery("person_id"),
        "review_on": Subquery(
            CarePlan.objects.filter(case=OuterRef("pk"), status=CarePlanStatus.AGREED).values(
                "review_on"
            )[:1]
        ),
    }


def goal_for_referral(*, actor: Actor, person: Person, goal_id: str) -> Goal | None:
    """A goal of the person's plan to refer for (``goal_id`` as typed in a URL), or None when
    it is not a goal of theirs the actor may see."""
    if not goal_id.isdigit():
        return None
    goal = Goal.objects.select_related("plan__case").filter(pk=int(goal_id)).first()
    if goal is None or goal.plan.case.person_id != person.pk:
        return None
    if not decide(actor=actor, person=person, category=DataCategory.PLANS_REFERRALS):
        return None
    return goal
