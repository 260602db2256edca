"""Enrolment pages: start from a referral, the enrolment with its outputs, record an output,
end the enrolment. Thin: services decide, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.accounts.actor import actor_from_request
from wraparound.core.forms import posted
from wraparound.enrolments import services
from wraparound.enrolments.forms import EndEnrolmentForm, ServiceEventForm
from wraparound.enrolments.selectors import (
    enrolment_for_update,
    enrolment_get,
    organisation_enrolments,
)
from wraparound.referrals.selectors import referral_for_update


@login_required
@require_POST
def start_from_referral(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    referral = referral_for_update(actor=actor, referral_id=referral_id)
    try:
        enrolment = services.enrolment_start(actor=actor, referral=referral)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("referrals:detail", referral_id=referral.pk)
    messages.success(request, f"Enrolled in {enrolment.service.name}")
    return redirect("enrolments:detail", enrolment_id=enrolment.pk)


@login_required
def detail(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    view = enrolment_get(actor=actor_from_request(request), enrolment_id=enrolment_id)
    return render(request, "enrolments/detail.html", {"view": view, "e": view.enrolment})


@login_required
@require_http_methods(["GET", "POST"])
def record_event(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    enrolment = enrolment_for_update(actor=actor, enrolment_id=enrolment_id)
    form = ServiceEventForm(posted(request))
    if request.method == "POST" and form.is_valid():
        assert actor.user is not None
        try:
            services.service_event_record(
                actor=actor,
                enrolment=enrolment,
                on=form.cleaned_data["on"],
                event_type=form.cleaned_data["event_type"],
                mode=form.cleaned_data["mode"],
                units=form.cleaned_data["units"],
                duration_minutes=form.cleaned_data["duration_minutes"],
                note=form.cleaned_data["note"],
                delivered_by=actor.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Service recorded")
            return redirect("enrolments:detail", enrolment_id=enrolment.pk)
    return render(request, "enrolments/record_event.html", {"form": form, "e": enrolment})


@login_required
@require_http_methods(["GET", "POST"])
def end(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    enrolment = enrolment_for_update(actor=actor, enrolment_id=enrolment_id)
    form = EndEnrolmentForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.enrolment_end(
                actor=actor,
                enrolment=enrolment,
                ended_on=form.cleaned_data["ended_on"],
                end_reason=form.cleaned_data["end_reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Enrolment ended")
            return redirect("enrolments:detail", enrolment_id=enrolment.pk)
    return render(request, "enrolments/end.html", {"form": form, "e": enrolment})


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    rows = organisation_enrolments(actor=actor_from_request(request))
    return render(request, "enrolments/list.html", {"rows": rows})
