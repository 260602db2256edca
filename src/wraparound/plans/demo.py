"""Demo care plans and exit plans, written through the services as a key worker would.

``seed_plans`` runs after the people, cases and assessments are seeded: every active case
with a key worker whose person has assessed needs gets a care plan (goals for the first
needs in their order, actions owned by the person, the key worker or an agency whose service
is recommended), most of them agreed; some agreed long enough ago that their review is
overdue (dates moved back after writing, as history). Stepped-down cases get an exit plan
with its check-ins.

``exit_plan_before_closing`` is for the core seed: a case it closes for a reason that needs
an exit plan gets a short one first, as a worker would have made.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from django.utils import timezone

from wraparound.accounts.actor import Actor, actor_for_user
from wraparound.cases.models import Case, CaseStatus
from wraparound.core.models import Network
from wraparound.people.models import Person
from wraparound.plans.models import ActionOwner, AgreementMethod, CarePlan, ExitPlan, SupportLevel
from wraparound.plans.selectors import (
    EXIT_PLAN_EXEMPT_CLOSURES,
    has_exit_plan,
    plan_needs,
    recommended_services,
)
from wraparound.plans.services import (
    StageInput,
    action_add,
    care_plan_agree,
    care_plan_start,
    care_plan_update,
    exit_check_ins_create,
    exit_plan_create,
    goal_add,
)

GOAL_WORDING: dict[str, tuple[str, str]] = {
    "housing-instability": ("A settled, safe home", "A tenancy signed and rent paid for 3 months"),
    "homelessness": ("Somewhere to live that is my own", "Moved into a tenancy or supported flat"),
    "inadequate-housing": ("A home that is warm and dry", "Repairs done and damp gone"),
    "food-insecurity": ("Enough food every week", "No skipped meals for a month"),
    "financial-insecurity": (
        "Money that lasts the month",
        "All benefits claimed and a budget kept",
    ),
    "employment-status": ("Back into work", "In paid work or training 16 hours a week"),
    "educational-attainment": ("Learn new skills", "A course started and attended"),
    "mental-health": ("Feel more in control day to day", "Seeing the mental health team regularly"),
    "substance-use": ("Cut down drinking or drug use", "Attending a treatment service"),
    "interpersonal-safety": ("Feel safe at home", "A safety plan in place"),
    "health-care-access": ("See a doctor when I need to", "Registered with a GP"),
    "social-connection": ("See people more often", "Going to a group each week"),
    "transportation-insecurity": ("Get to appointments", "Travel pass or lifts arranged"),
    "utility-insecurity": ("Keep the lights and heating on", "Fuel debt on a payment plan"),
    "legal-needs": ("Sort out the legal problem", "Advice taken and a plan agreed"),
}
DEFAULT_GOAL = ("Make progress with this", "Agreed at the next review")


def _key_worker_actor(case: Case) -> Actor | None:
    if case.key_worker is None:
        return None
    actor = actor_for_user(case.key_worker, via="cli")
    if actor.membership is None or actor.membership.organisation_id != case.lead_organisation_id:
        return None
    return actor


def _care_plan(actor: Actor, case: Case, rng: random.Random, today: date) -> CarePlan | None:
    needs = plan_needs(actor=actor, person=case.person)[:3]
    if not needs:
        return None
    plan = care_plan_start(actor=actor, case=case)
    care_plan_update(
        actor=actor,
        plan=plan,
        summary="What we agreed to work on first, most urgent first.",
        review_on=plan.review_on,
    )
    offered = recommended_services(
        actor=actor, person=case.person, needs=sorted({n.category for n in needs})
    )
    for index, need in enumerate(needs):
        what, measure = GOAL_WORDING.get(need.category, DEFAULT_GOAL)
        goal = goal_add(
            actor=actor,
            plan=plan,
            need=need,
            what=what,
            measure=measure,
            target_on=today + timedelta(weeks=rng.randint(8, 30)),
        )
        services = offered.get(need.category, [])
        if services:
            service = services[0]
            action_add(
                actor=actor,
                goal=goal,
                description=f"Refer to {service.name}",
                owner=ActionOwner.AGENCY,
                service=service,
                due_on=today + timedelta(days=rng.randint(3, 21)),
            )
        action_add(
            actor=actor,
            goal=goal,
            description="Talk it through at the next visit" if index else "Gather the paperwork",
            owner=rng.choice([ActionOwner.PERSON, ActionOwner.KEY_WORKER]),
            due_on=today + timedelta(days=rng.randint(7, 42)),
        )
    if rng.random() < 0.8:
        care_plan_agree(actor=actor, plan=plan, method=rng.choice(AgreementMethod.values))
        if rng.random() < 0.3:
            # History: agreed months ago, and the review date has passed.
            weeks_ago = rng.randint(14, 26)
            CarePlan.objects.filter(pk=plan.pk).update(
                created_at=timezone.now() - timedelta(weeks=weeks_ago),
                agreed_on=today - timedelta(weeks=weeks_ago),
                review_on=today - timedelta(days=rng.randint(1, 40)),
            )
    return plan


def _exit_plan(actor: Actor, case: Case, rng: random.Random, starts_on: date) -> ExitPlan:
    stages = [
        StageInput(SupportLevel.SUPPORTED, rng.choice([0, 4, 6])),
        StageInput(SupportLevel.LIGHT_TOUCH, rng.choice([4, 8, 12])),
    ]
    plan = exit_plan_create(
        actor=actor, case=case, stages=stages, starts_on=max(starts_on, case.opened_on)
    )
    exit_check_ins_create(actor=Actor.system("seed_demo"), exit_plan=plan)  # the worker's job
    return plan


def exit_plan_before_closing(*, actor: Actor, case: Case, closing_on: date, reason: str) -> None:
    """For seeding a closed case: the exit plan a worker would have made before closing it
    (none when the reason needs none, or one exists)."""
    if reason in EXIT_PLAN_EXEMPT_CLOSURES or has_exit_plan(case):
        return
    weeks = max(1, min(12, (closing_on - case.opened_on).days // 7))
    plan = exit_plan_create(
        actor=actor,
        case=case,
        stages=[StageInput(SupportLevel.LIGHT_TOUCH, weeks)],
        starts_on=closing_on - timedelta(weeks=weeks)
        if closing_on - timedelta(weeks=weeks) >= case.opened_on
        else case.opened_on,
    )
    exit_check_ins_create(actor=Actor.system("seed_demo"), exit_plan=plan)


def seed_plans(*, network: Network, people: Sequence[Person], rng: random.Random) -> dict[str, int]:
    today = timezone.localdate()
    ids = [p.pk for p in people]
    cases = (
        Case.objects.filter(network=network, person_id__in=ids, key_worker__isnull=False)
        .exclude(status=CaseStatus.CLOSED)
        .select_related("person", "key_worker", "lead_organisation")
        .order_by("id")
    )
    care_plans = exit_plans = 0
    for case in cases:
        actor = _key_worker_actor(case)
        if actor is None:
            continue
        if _care_plan(actor, case, rng, today) is not None:
            care_plans += 1
        if case.status == CaseStatus.STEPPED_DOWN and not has_exit_plan(case):
            _exit_plan(actor, case, rng, case.stepped_down_on or today)
            exit_plans += 1
    return {"care_plans": care_plans, "exit_plans": exit_plans}
