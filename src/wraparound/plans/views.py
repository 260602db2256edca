"""Staff pages for care plans and exit plans (thin: selectors read, services write)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.accounts.actor import Actor, actor_from_request
from wraparound.accounts.models import CASEWORK_ROLES, Role
from wraparound.cases.models import Case
from wraparound.cases.selectors import case_get
from wraparound.consent.policy import Action
from wraparound.core.forms import posted
from wraparound.people.selectors import person_get
from wraparound.plans import services
from wraparound.plans.config import current_plan_settings, plan_settings_versions
from wraparound.plans.forms import (
    ActionForm,
    AgreeForm,
    CarePlanForm,
    ExitPlanForm,
    GoalForm,
    PlanSettingsForm,
)
from wraparound.plans.models import CarePlan, SupportLevel
from wraparound.plans.selectors import (
    action_get,
    care_plan_get,
    care_plans_for_case,
    check_in_get,
    exit_plan_for_case,
    goal_get,
    plan_needs,
    plan_overview_for_person,
    recommended_services,
)


def _leads(actor: Actor, case: Case) -> bool:
    return (
        actor.membership is not None
        and actor.membership.organisation_id == case.lead_organisation_id
        and actor.membership.role in CASEWORK_ROLES
    )


@login_required
def person_plans(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(actor=actor, person_id=person_id, audit_as=None)
    rows = plan_overview_for_person(actor=actor, person=person)
    return render(request, "plans/person.html", {"person": person, "rows": rows})


@login_required
def case_plan(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    case = case_get(actor=actor, case_id=case_id, audit_as=None)
    return render(
        request,
        "plans/case.html",
        {
            "case": case,
            "plans": care_plans_for_case(actor=actor, case=case),
            "exit": exit_plan_for_case(actor=actor, case=case),
            "can_change": _leads(actor, case),
        },
    )


@login_required
@require_POST
def start(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    case = case_get(actor=actor, case_id=case_id, action=Action.EDIT, audit_as=None)
    try:
        plan = services.care_plan_start(actor=actor, case=case)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("plans:case", case_id=case.pk)
    return redirect("plans:edit", plan_id=plan.pk)


def _need_choices(needs: list[Any]) -> list[tuple[str, str]]:
    return [
        (
            str(n.pk),
            f"{n.position}. {n.get_category_display()} ({n.get_severity_display().lower()}, "
            f"{n.get_priority_class_display().lower()})",
        )
        for n in needs
    ]


def _edit_page(
    request: HttpRequest,
    actor: Actor,
    plan: CarePlan,
    *,
    plan_form: CarePlanForm | None = None,
    goal_form: GoalForm | None = None,
    failed_action: tuple[int, ActionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    needs = plan_needs(actor=actor, person=plan.person)
    goals = list(plan.goals.all())
    recommended = recommended_services(
        actor=actor, person=plan.person, needs=sorted({g.need_category for g in goals})
    )
    rows = []
    for goal in goals:
        offered = recommended.get(goal.need_category, [])
        choices = [(str(s.pk), f"{s.name} ({s.organisation.name})") for s in offered]
        if failed_action and failed_action[0] == goal.pk:
            form = failed_action[1]
        else:
            form = ActionForm(services=choices, prefix=f"goal-{goal.pk}")
        rows.append({"goal": goal, "services": offered, "action_form": form})
    return render(
        request,
        "plans/edit.html",
        {
            "plan": plan,
            "case": plan.case,
            "plan_form": plan_form
            or CarePlanForm(initial={"summary": plan.summary, "review_on": plan.review_on}),
            "goal_form": goal_form or GoalForm(needs=_need_choices(needs)),
            "rows": rows,
            "has_needs": bool(needs),
        },
        status=status,
    )


def _draft(request: HttpRequest, plan_id: int) -> tuple[Actor, CarePlan]:
    actor = actor_from_request(request)
    plan = care_plan_get(actor=actor, plan_id=plan_id, audit_as=None)
    case_get(actor=actor, case_id=plan.case_id, action=Action.EDIT, audit_as=None)
    return actor, plan


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    plan = care_plan_get(actor=actor, plan_id=plan_id)
    if not plan.is_draft:
        return redirect("plans:case", case_id=plan.case_id)
    case_get(actor=actor, case_id=plan.case_id, action=Action.EDIT, audit_as=None)
    form = CarePlanForm(posted(request))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.care_plan_update(
                    actor=actor,
                    plan=plan,
                    summary=form.cleaned_data["summary"],
                    review_on=form.cleaned_data["review_on"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Plan details saved")
                return redirect("plans:edit", plan_id=plan.pk)
        return _edit_page(request, actor, plan, plan_form=form, status=400)
    return _edit_page(request, actor, plan)


@login_required
@require_POST
def goal_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor, plan = _draft(request, plan_id)
    needs = {str(n.pk): n for n in plan_needs(actor=actor, person=plan.person)}
    form = GoalForm(request.POST, needs=_need_choices(list(needs.values())))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.goal_add(
                actor=actor,
                plan=plan,
                need=needs.get(data["need"]),
                what=data["what"],
                measure=data["measure"],
                target_on=data["target_on"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Goal added")
            return redirect(reverse("plans:edit", args=[plan.pk]) + "#goals")
    return _edit_page(request, actor, plan, goal_form=form, status=400)


@login_required
@require_POST
def goal_remove(request: HttpRequest, goal_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    goal = goal_get(actor=actor, goal_id=goal_id)
    try:
        services.goal_remove(actor=actor, goal=goal)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Goal removed")
    return redirect("plans:edit", plan_id=goal.plan_id)


@login_required
@require_POST
def action_add(request: HttpRequest, goal_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    goal = goal_get(actor=actor, goal_id=goal_id)
    plan = care_plan_get(actor=actor, plan_id=goal.plan_id, audit_as=None)
    offered = recommended_services(actor=actor, person=plan.person, needs=[goal.need_category])
    by_id = {str(s.pk): s for s in offered.get(goal.need_category, [])}
    form = ActionForm(
        request.POST,
        services=[(k, f"{s.name} ({s.organisation.name})") for k, s in by_id.items()],
        prefix=f"goal-{goal.pk}",
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.action_add(
                actor=actor,
                goal=goal,
                description=data["description"],
                owner=data["owner"],
                due_on=data["due_on"],
                service=by_id.get(data["service"]),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Action added")
            return redirect(reverse("plans:edit", args=[plan.pk]) + f"#goal-{goal.pk}")
    return _edit_page(request, actor, plan, failed_action=(goal.pk, form), status=400)


@login_required
@require_POST
def action_done(request: HttpRequest, action_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    action = action_get(actor=actor, action_id=action_id)
    try:
        services.action_mark_done(actor=actor, action=action)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Action marked done")
    return redirect("plans:case", case_id=action.goal.plan.case_id)


@login_required
@require_http_methods(["GET", "POST"])
def agree(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor, plan = _draft(request, plan_id)
    form = AgreeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.care_plan_agree(
                actor=actor,
                plan=plan,
                method=data["agreement_method"],
                agreed_on=data["agreed_on"],
                note=data["agreement_note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Care plan version {plan.version} agreed")
            return redirect("plans:case", case_id=plan.case_id)
    return render(request, "plans/agree.html", {"plan": plan, "case": plan.case, "form": form})


@login_required
def print_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    plan = care_plan_get(actor=actor, plan_id=plan_id, audit_as="care_plan.print")
    return render(request, "plans/print.html", {"plan": plan, "case": plan.case})


@login_required
@require_http_methods(["GET", "POST"])
def exit_plan(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    case = case_get(actor=actor, case_id=case_id, action=Action.EDIT)
    form = ExitPlanForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        stages = [
            services.StageInput(level, data[level] or 0)
            for level in (SupportLevel.INTENSIVE, SupportLevel.SUPPORTED, SupportLevel.LIGHT_TOUCH)
        ]
        try:
            services.exit_plan_create(
                actor=actor,
                case=case,
                stages=stages,
                starts_on=data["starts_on"],
                note=data["note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Exit plan made: check-ins are being scheduled")
            return redirect("plans:case", case_id=case.pk)
    settings = current_plan_settings(case.network_id)
    return render(
        request,
        "plans/exit_plan.html",
        {"case": case, "form": form, "max_weeks": settings.max_exit_plan_weeks},
    )


@login_required
@require_POST
def check_in_done(request: HttpRequest, case_id: int, check_in_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    case = case_get(actor=actor, case_id=case_id, action=Action.EDIT, audit_as=None)
    check_in = check_in_get(actor=actor, case=case, check_in_id=check_in_id)
    try:
        services.exit_check_in_complete(actor=actor, check_in=check_in)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Check-in recorded")
    return redirect(reverse("plans:case", args=[case.pk]) + "#exit-plan")


@login_required
@require_http_methods(["GET", "POST"])
def plan_settings(request: HttpRequest) -> HttpResponse:
    """The network's plan settings: a network administrator saves a new version."""
    actor = actor_from_request(request)
    membership = actor.membership
    if membership is None or membership.role != Role.NETWORK_ADMIN:
        raise PermissionDenied("Only network administrators change plan settings")
    network = membership.organisation.network
    current = current_plan_settings(network)
    form = PlanSettingsForm(
        posted(request),
        initial={
            "max_exit_plan_weeks": current.max_exit_plan_weeks,
            "representation_window_days": current.representation_window_days,
            "default_review_weeks": current.default_review_weeks,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.plan_settings_update(actor=actor, network=network, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Plan settings version {saved.version} in force")
            return redirect("plans:settings")
    return render(
        request,
        "plans/settings.html",
        {"form": form, "current": current, "versions": plan_settings_versions(network=network)},
    )
