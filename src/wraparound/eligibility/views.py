"""Staff pages: what could this person get, their circumstances, rules, parameters, gaps.
Thin: parse, call a selector or service, render."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from wraparound.accounts.actor import actor_from_request
from wraparound.accounts.models import Role
from wraparound.consent.policy import Action
from wraparound.core.forms import posted
from wraparound.directory.models import Service
from wraparound.eligibility import services
from wraparound.eligibility.engine import Verdict
from wraparound.eligibility.forms import (
    CircumstancesForm,
    ParameterForm,
    ParameterValueForm,
    RuleForm,
    ScreeningDateForm,
)
from wraparound.eligibility.selectors import (
    SMALL_COUNT,
    circumstances_for_person,
    current_version,
    gaps_report,
    network_of,
    parameter_get,
    parameter_history,
    parameters_list,
    rule_history,
    rule_target,
    rules_list,
    screen_person,
)
from wraparound.people.selectors import person_get

GAP_ROLES = {Role.MANAGER, Role.NETWORK_ADMIN, Role.ANALYST}


@login_required
def person_screening(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    date_form = ScreeningDateForm(request.GET or None)
    on = date_form.cleaned_data["on"] if date_form.is_bound and date_form.is_valid() else None
    screening = screen_person(actor=actor, person_id=person_id, on=on)
    return render(
        request,
        "eligibility/person.html",
        {
            "screening": screening,
            "person": screening.person,
            "date_form": date_form,
            "verdicts": Verdict,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def circumstances(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(
        actor=actor,
        person_id=person_id,
        action=Action.EDIT,
        audit_as="eligibility.circumstances_form",
    )
    latest, hidden = circumstances_for_person(actor=actor, person=person)
    form = CircumstancesForm(
        posted(request), initial=CircumstancesForm.initial_from(latest), hidden=hidden
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.circumstances_record(actor=actor, person=person, data=form.to_input())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Circumstances saved")
            return redirect("eligibility:person", person_id=person.pk)
    return render(
        request,
        "eligibility/circumstances.html",
        {"form": form, "person": person, "latest": latest, "hidden": bool(hidden)},
    )


def _is_admin(request: HttpRequest) -> bool:
    actor = actor_from_request(request)
    return actor.membership is not None and actor.membership.role == Role.NETWORK_ADMIN


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    rows = [
        (target, current_version(rule), "service" if isinstance(target, Service) else "program")
        for target, rule in rules_list(network=network_of(actor))
    ]
    return render(request, "eligibility/rules.html", {"rows": rows, "can_edit": _is_admin(request)})


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, kind: str, target_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    target = rule_target(actor=actor, kind=kind, target_id=target_id)
    history = rule_history(target=target)
    initial = (
        {"expression": history[0].expression, "summary": history[0].summary} if history else {}
    )
    form = RuleForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.rule_save(
                actor=actor,
                expression=form.cleaned_data["expression"],
                summary=form.cleaned_data["summary"],
                service=target if kind == "service" else None,  # type: ignore[arg-type]
                program=target if kind == "program" else None,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Rule saved as version {version.number}")
            return redirect("eligibility:rules")
    return render(
        request,
        "eligibility/rule_form.html",
        {"form": form, "target": target, "kind": kind, "history": history},
    )


@login_required
def parameters(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    return render(
        request,
        "eligibility/parameters.html",
        {"parameters": parameters_list(network=network_of(actor)), "can_edit": _is_admin(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def parameter_new(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    form = ParameterForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            parameter = services.parameter_create(
                actor=actor, network=network_of(actor), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Parameter {parameter.name} created: now add its values")
            return redirect("eligibility:parameter", parameter_id=parameter.pk)
    return render(request, "eligibility/parameter_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def parameter_detail(request: HttpRequest, parameter_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    parameter = parameter_get(actor=actor, parameter_id=parameter_id)
    form = ParameterValueForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.parameter_value_set(
                actor=actor,
                parameter=parameter,
                key=data["key"],
                value=data["value"],
                effective_from=data["effective_from"],
                effective_to=data["effective_to"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Value saved")
            return redirect("eligibility:parameter", parameter_id=parameter.pk)
    return render(
        request,
        "eligibility/parameter.html",
        {
            "parameter": parameter,
            "values": parameter_history(parameter=parameter),
            "form": form,
            "can_edit": _is_admin(request),
        },
    )


def _require_gap_role(request: HttpRequest) -> None:
    from django.core.exceptions import PermissionDenied

    actor = actor_from_request(request)
    if actor.membership is None or actor.membership.role not in GAP_ROLES:
        raise PermissionDenied("The gaps report is for managers, analysts and administrators")


@login_required
def gaps(request: HttpRequest) -> HttpResponse:
    _require_gap_role(request)
    report = gaps_report(actor=actor_from_request(request))
    return render(request, "eligibility/gaps.html", {"report": report, "small": SMALL_COUNT})


def _cell(text: str) -> str:
    """A spreadsheet must not run a name as a formula."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@login_required
def gaps_csv(request: HttpRequest) -> HttpResponse:
    _require_gap_role(request)
    report = gaps_report(actor=actor_from_request(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="gaps-{report.on:%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(["area", "area_code", "need", "need_label", "people_with_no_service"])
    for row in report.rows:
        writer.writerow(
            [_cell(row.area), _cell(row.area_code), row.need, row.need_label, row.shown]
        )
    return response
