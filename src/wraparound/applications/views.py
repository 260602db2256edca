"""Staff side: the organisation's applications inbox and one application."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from wraparound.accounts.actor import actor_from_request
from wraparound.applications import selectors, services
from wraparound.applications.forms import StaffMoveForm
from wraparound.applications.models import TRANSITIONS, ApplicationStatus
from wraparound.core.forms import posted
from wraparound.people.selectors import PersonNotFound, person_get


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    status = request.GET.get("status", "")
    if status not in ApplicationStatus.values:
        status = ""
    page = Paginator(selectors.inbox(actor=actor, status=status), 50).get_page(
        request.GET.get("page")
    )
    selectors.inbox_page_audit(actor=actor, rows=list(page))
    return render(
        request,
        "applications/inbox.html",
        {
            "page": page,
            "status": status,
            "counts": selectors.inbox_counts(actor=actor),
            "statuses": ApplicationStatus.choices,
        },
    )


@login_required
def detail(request: HttpRequest, application_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    application = selectors.application_get(actor=actor, application_id=application_id)
    form = StaffMoveForm(posted(request) if request.POST.get("form") == "move" else None)
    allowed = {
        to for to, side in TRANSITIONS.get(application.status, {}).items() if side == "agency"
    }
    form.fields["to"].choices = [c for c in form.fields["to"].choices if c[0] in allowed]  # type: ignore[attr-defined]
    link_error = ""
    if form.is_valid():
        try:
            services.application_move(actor=actor, application=application, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Saved. The person has been told there is news.")
            return redirect("applications:detail", application_id=application.pk)
    if request.POST.get("form") == "link":
        try:
            person = person_get(
                actor=actor, person_id=int(request.POST.get("person", "0")), audit_as=None
            )
            services.application_link_person(actor=actor, application=application, person=person)
        except (ValueError, PersonNotFound):
            link_error = "Enter the number of a person you may see"
        except ValidationError as exc:
            link_error = " ".join(exc.messages)
        else:
            messages.success(request, "Linked to the person's record.")
            return redirect("applications:detail", application_id=application.pk)
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "form": form,
            "can_move": bool(allowed),
            "link_error": link_error,
        },
    )
