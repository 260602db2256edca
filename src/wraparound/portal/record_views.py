"""The person's own record in the portal: home, plan, appointments, my data."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wraparound.appointments.services import change_request_make
from wraparound.consent.services import consent_give_in_portal, consent_withdraw_in_portal
from wraparound.core.forms import posted
from wraparound.plans.services import action_update_by_person
from wraparound.portal import selectors
from wraparound.portal.forms import ActionUpdateForm, ChangeRequestForm, ConsentGiveForm
from wraparound.portal.session import citizen_required, person_required


@citizen_required
def dashboard(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    context: dict[str, object] = {"pending": None, "appointments": [], "actions": []}
    if portal.person is None:
        context["pending"] = selectors.pending_link_request(context=portal)
    else:
        context["appointments"] = selectors.my_appointments(context=portal)[:3]
        plan = selectors.my_plan(context=portal)
        context["plan"] = plan
        context["actions"] = (
            [
                a
                for g in plan.goals.all()
                for a in g.actions.all()
                if a.owner == "person" and a.done_on is None
            ]
            if plan
            else []
        )
    return render(request, "portal/dashboard.html", context)


@person_required
def plan(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/plan.html", {"plan": selectors.my_plan(context=request.portal)})  # type: ignore[attr-defined]


@person_required
def plan_action(request: HttpRequest, action_id: int) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    action = selectors.my_plan_action(context=portal, action_id=action_id)
    form = ActionUpdateForm(posted(request))
    if form.is_valid():
        try:
            action_update_by_person(
                actor=portal.actor,
                account=portal.account,
                action=action,
                done=form.cleaned_data["done"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Thank you. Your key worker will see this."))
            return redirect("portal:plan")
    return render(request, "portal/plan_action.html", {"action": action, "form": form})


@person_required
def appointments(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    return render(
        request,
        "portal/appointments.html",
        {"appointments": selectors.my_appointments(context=portal)},
    )


@person_required
def appointment_change(request: HttpRequest, appointment_id: int) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    appointment = selectors.my_appointment(context=portal, appointment_id=appointment_id)
    form = ChangeRequestForm(posted(request))
    if form.is_valid():
        try:
            change_request_make(
                actor=portal.actor,
                account=portal.account,
                appointment=appointment,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("We have told the agency. They will contact you."))
            return redirect("portal:appointments")
    return render(
        request, "portal/appointment_change.html", {"appointment": appointment, "form": form}
    )


@person_required
def my_data(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    form = ConsentGiveForm(posted(request), network_id=portal.person.network_id)
    if form.is_valid():
        try:
            consent_give_in_portal(
                actor=portal.actor,
                account_id=portal.account.pk,
                person=portal.person,
                recipient_kind=form.recipient_kind,
                purpose=form.purpose,
                categories=form.cleaned_data["categories"],
                recipient_organisation=form.cleaned_data["recipient_organisation"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Your choice has been saved. It applies straight away."))
            return redirect("portal:my_data")
    return render(
        request,
        "portal/my_data.html",
        {"consents": selectors.my_consents(context=portal), "form": form},
    )


@require_POST
@person_required
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    consent = selectors.my_consent(context=portal, consent_id=consent_id)
    try:
        consent_withdraw_in_portal(
            actor=portal.actor, account_id=portal.account.pk, consent=consent
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You have withdrawn your consent. It stops applying now."))
    return redirect("portal:my_data")


@person_required
def who_looked(request: HttpRequest) -> HttpResponse:
    events = selectors.who_looked(context=request.portal)  # type: ignore[attr-defined]
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "portal/who_looked.html", {"page": page})


@person_required
def download(request: HttpRequest, fmt: str) -> HttpResponse:
    data = selectors.my_data(context=request.portal)  # type: ignore[attr-defined]
    if fmt == "json":
        response = HttpResponse(
            json.dumps(data.sections, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="my-wraparound-data.json"'
    else:
        response = render(request, "portal/my_data_download.html", {"data": data})
        response["Content-Disposition"] = 'attachment; filename="my-wraparound-data.html"'
    response["Cache-Control"] = "no-store"
    return response
