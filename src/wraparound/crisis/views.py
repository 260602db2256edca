"""Staff pages for crisis events and re-presentation alerts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.accounts.actor import actor_from_request
from wraparound.accounts.models import CASEWORK_ROLES
from wraparound.core.forms import posted
from wraparound.crisis import services
from wraparound.crisis.forms import CrisisEventForm, DismissAlertForm
from wraparound.crisis.models import AlertStatus
from wraparound.crisis.selectors import alert_get, alerts_list, crisis_events_for_person
from wraparound.people.selectors import person_get


@login_required
def person_events(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(actor=actor, person_id=person_id, audit_as=None)
    events = crisis_events_for_person(actor=actor, person=person)
    can_record = actor.membership is not None and actor.membership.role in CASEWORK_ROLES
    return render(
        request,
        "crisis/person.html",
        {"person": person, "events": events, "can_record": can_record},
    )


@login_required
@require_http_methods(["GET", "POST"])
def record(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(actor=actor, person_id=person_id, audit_as="crisis_event.form")
    form = CrisisEventForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            event = services.crisis_event_record(
                actor=actor,
                person=person,
                kind=form.cleaned_data["kind"],
                occurred_at=form.occurred_at(),
                detail=form.cleaned_data["detail"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            alerts = event.alerts.count()
            messages.success(
                request,
                "Crisis event recorded"
                + (f": {alerts} re-presentation alert(s) sent" if alerts else ""),
            )
            return redirect("crisis:person", person_id=person.pk)
    return render(request, "crisis/record.html", {"person": person, "form": form})


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    show = request.GET.get("status", AlertStatus.OPEN)
    if show not in AlertStatus.values and show != "all":
        show = AlertStatus.OPEN
    rows = alerts_list(actor=actor, status=None if show == "all" else show)
    return render(
        request,
        "crisis/alerts.html",
        {"rows": rows, "show": show, "statuses": AlertStatus.choices},
    )


@login_required
def alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    view = alert_get(actor=actor, alert_id=alert_id)
    return render(request, "crisis/alert.html", {"view": view, "form": DismissAlertForm()})


@login_required
@require_POST
def alert_reopen(request: HttpRequest, alert_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    view = alert_get(actor=actor, alert_id=alert_id, audit=False)
    try:
        services.alert_reopen_case(actor=actor, alert=view.alert)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("crisis:alert", alert_id=alert_id)
    messages.success(request, f"Case {view.alert.case.reference} reopened")
    return redirect("cases:detail", case_id=view.alert.case_id)


@login_required
@require_POST
def alert_dismiss(request: HttpRequest, alert_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    view = alert_get(actor=actor, alert_id=alert_id, audit=False)
    form = DismissAlertForm(request.POST)
    if form.is_valid():
        try:
            services.alert_dismiss(
                actor=actor, alert=view.alert, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Alert dismissed")
            return redirect("crisis:alerts")
    return render(request, "crisis/alert.html", {"view": view, "form": form}, status=400)
