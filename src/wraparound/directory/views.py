"""The staff directory: find a service, and everything needed to refer to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from wraparound.accounts.actor import Actor, actor_from_request
from wraparound.core.pagination import paginate
from wraparound.directory.forms import DirectorySearchForm
from wraparound.directory.opening import open_now, weekly_hours
from wraparound.directory.selectors import directory_search, network_areas, service_for_page
from wraparound.people.selectors import PersonNotFound, person_get

EligibleIds = Callable[..., set[int]]


def eligibility_filter() -> EligibleIds | None:
    """The eligibility engine's ``eligible_service_ids(actor=, person=)``, when installed."""
    try:
        from wraparound.eligibility.selectors import (  # type: ignore[import-not-found,unused-ignore]
            eligible_service_ids,
        )
    except ImportError:
        return None
    result: EligibleIds = eligible_service_ids
    return result


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    form = DirectorySearchForm(request.GET or None, areas=network_areas(actor=actor))
    eligible = eligibility_filter()
    context: dict[str, Any] = {"form": form, "eligibility_available": eligible is not None}
    criteria: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        criteria = {"need": data["need"], "text": data["q"].strip(), "area": data["area"]}
        if data["open_now"]:
            criteria["open_at"] = timezone.localtime()
        if data["person"]:
            criteria["only_ids"] = _eligible_ids(actor, form, data["person"], eligible, context)
    page = None
    if not form.errors:
        page = paginate(request, directory_search(actor=actor, **criteria))
    context["page"] = page
    template = (
        "directory/_results.html" if getattr(request, "htmx", False) else "directory/services.html"
    )
    return render(request, template, context)


def _eligible_ids(
    actor: Actor,
    form: DirectorySearchForm,
    person_id: int,
    eligible: EligibleIds | None,
    context: dict[str, Any],
) -> set[int] | None:
    if eligible is None:
        form.add_error("person", "Eligibility screening is not available yet")
        return None
    try:
        person = person_get(actor=actor, person_id=person_id, audit_as="directory.eligibility")
    except PersonNotFound:
        form.add_error("person", "No person with this record number that you may see")
        return None
    context["person"] = person
    return eligible(actor=actor, person=person)


@login_required
def service_detail(request: HttpRequest, service_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    service = service_for_page(actor=actor, service_id=service_id)
    now = timezone.localtime()
    schedules = list(service.schedules.all())
    locations = []
    for sal in service.service_at_locations.all():
        location_schedules = list(sal.schedules.all()) + list(sal.location.schedules.all())
        locations.append(
            {
                "sal": sal,
                "location": sal.location,
                "hours": weekly_hours(location_schedules),
                "open": open_now(location_schedules, now),
                "schedules": location_schedules,
            }
        )
    is_open = open_now(schedules, now) or any(loc["open"] for loc in locations)
    return render(
        request,
        "directory/service.html",
        {
            "service": service,
            "hours": weekly_hours(schedules),
            "locations": locations,
            "is_open": is_open,
            "has_hours": bool(schedules) or any(loc["schedules"] for loc in locations),
        },
    )
