"""Staff side of the portal: confirm who a portal account belongs to, give link codes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wraparound.accounts.actor import actor_from_request
from wraparound.people.selectors import PersonNotFound, person_get, person_search
from wraparound.portal import services
from wraparound.portal.selectors import link_request_get, link_requests_waiting


@login_required
def link_requests(request: HttpRequest) -> HttpResponse:
    pending = link_requests_waiting(actor=actor_from_request(request))
    return render(request, "portal/staff/link_requests.html", {"requests": pending})


@login_required
def link_request(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request: the identity facts given, and the people the worker may see who match
    the name and date of birth. The worker checks and confirms one, or declines."""
    actor = actor_from_request(request)
    link = link_request_get(actor=actor, request_id=request_id)
    candidates = list(
        person_search(
            actor=actor,
            name=f"{link.given_name} {link.family_name}",
            date_of_birth=link.date_of_birth,
        )[:10]
    )
    error = ""
    if request.method == "POST":
        chosen = request.POST.get("person", "")
        person = None
        if chosen != "none":
            try:
                person = person_get(actor=actor, person_id=int(chosen), audit_as=None)
            except (ValueError, PersonNotFound):
                error = "Choose the matching person, or that none matches"
        if not error:
            try:
                services.link_request_decide(
                    actor=actor, request=link, person=person, note=request.POST.get("note", "")
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, "Account linked." if person else "Request declined.")
                return redirect("portal_staff:link_requests")
    return render(
        request,
        "portal/staff/link_request.html",
        {"link": link, "candidates": candidates, "error": error},
    )


@require_POST
@login_required
def link_code(request: HttpRequest, person_id: int) -> HttpResponse:
    """Give a person a code to link their portal account themselves; shown once."""
    actor = actor_from_request(request)
    try:
        person = person_get(actor=actor, person_id=person_id, audit_as=None)
    except PersonNotFound as exc:
        raise Http404 from exc
    code = services.link_code_create(actor=actor, person=person)
    return render(request, "portal/staff/link_code.html", {"person": person, "code": code})
