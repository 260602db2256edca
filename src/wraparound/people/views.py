"""Staff pages for people and households. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.accounts.actor import Actor, actor_from_request
from wraparound.cases.selectors import cases_for_person
from wraparound.consent.policy import (
    Action,
    address_decision,
    decide,
    may_register_people,
    require,
)
from wraparound.consent.views import sharing_for_record
from wraparound.core.forms import posted
from wraparound.core.pagination import paginate
from wraparound.people import services
from wraparound.people.forms import (
    HouseholdForm,
    HouseholdMemberFormSet,
    IdentifierForm,
    NewPersonForm,
    PersonForm,
    PersonSearchForm,
)
from wraparound.people.matching import Candidate, registration_candidates
from wraparound.people.merge import may_merge
from wraparound.people.selectors import (
    PersonNotFound,
    SearchCriteria,
    audit_list_reads,
    household_for_person,
    identifiers_for_person,
    people_for_lists,
    person_get,
    person_record,
    person_search,
    person_search_count,
    person_timeline,
)
from wraparound.people.services import MemberInput, PersonDetails


@login_required
def search(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    form = PersonSearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid() and form.has_criteria():
        criteria: SearchCriteria = {
            "name": form.cleaned_data["name"],
            "date_of_birth": form.cleaned_data["date_of_birth"],
            "identifier": form.cleaned_data["identifier"],
        }
        people = person_search(actor=actor, **criteria)
        page = paginate(
            request,
            people_for_lists(people),
            capped=True,
            count=person_search_count(actor=actor, found=people, **criteria),
        )
        audit_list_reads(actor=actor, people=page, action="person.search")
    template = "people/_results.html" if request.htmx else "people/search.html"  # type: ignore[attr-defined]
    return render(request, template, {"form": form, "page": page})


@login_required
def record(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    record = person_record(actor=actor, person_id=person_id)
    person = record.person
    can_edit = bool(decide(actor=actor, person=person, action=Action.EDIT))
    return render(
        request,
        "people/record.html",
        {
            "record": record,
            "person": person,
            "household": household_for_person(actor=actor, person=person),
            "identifiers": identifiers_for_person(actor=actor, person=person),
            "cases": cases_for_person(actor=actor, person=person),
            "timeline": paginate(request, person_timeline(actor=actor, person=person), per_page=20),
            "identifier_form": IdentifierForm(),
            "can_edit": can_edit,
            "sharing": sharing_for_record(actor=actor, person=person, can_edit=can_edit),
            "can_merge": bool(may_merge(actor)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    require(may_register_people(actor))
    network = actor.require_membership().organisation.network
    form = NewPersonForm(posted(request), network=network)
    candidates: list[Candidate] = []
    if request.method == "POST" and form.is_valid():
        try:
            # "These might be the same person" first, unless the worker has seen them.
            if not form.cleaned_data["confirm_new"]:
                candidates = registration_candidates(actor=actor, details=form.to_details())
            if not candidates:
                person = services.person_create(
                    actor=actor, details=form.to_details(), identifiers=form.identifiers()
                )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if not candidates:
                messages.success(request, f"{person.full_name} is registered as {person.reference}")
                return redirect("people:record", person_id=person.pk)
    return render(
        request, "people/form.html", {"form": form, "person": None, "candidates": candidates}
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(
        actor=actor, person_id=person_id, action=Action.EDIT, audit_as="person.edit_form"
    )
    current = PersonDetails.from_person(person)
    form = PersonForm(
        posted(request),
        network=person.network,
        initial=PersonForm.initial_from(current),
        address_editable=address_decision(actor=actor, person=person).allowed,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(
                actor=actor, person=person, details=form.to_details(keep=current)
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Details saved")
            return redirect("people:record", person_id=person.pk)
    return render(request, "people/form.html", {"form": form, "person": person})


@login_required
@require_POST
def identifier_add(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(actor=actor, person_id=person_id, action=Action.EDIT, audit_as=None)
    form = IdentifierForm(request.POST)
    if form.is_valid():
        try:
            identifier = services.identifier_add(
                actor=actor,
                person=person,
                identifier_type=form.cleaned_data["type"],
                value=form.cleaned_data["value"],
                issuer=form.cleaned_data["issuer"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{identifier} added")
            return redirect("people:record", person_id=person.pk)
    return render(request, "people/identifier_form.html", {"form": form, "person": person})


@login_required
@require_POST
def identifier_remove(request: HttpRequest, person_id: int, identifier_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(actor=actor, person_id=person_id, action=Action.EDIT, audit_as=None)
    identifier = next(
        (i for i in identifiers_for_person(actor=actor, person=person) if i.pk == identifier_id),
        None,
    )
    if identifier is None:
        raise PersonNotFound("No such identifier")
    services.identifier_remove(actor=actor, identifier=identifier)
    messages.success(request, f"{identifier} removed")
    return redirect("people:record", person_id=person.pk)


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    """Create the person's household, or change its name and members."""
    actor = actor_from_request(request)
    person = person_get(
        actor=actor, person_id=person_id, action=Action.EDIT, audit_as="household.edit_form"
    )
    current = household_for_person(actor=actor, person=person)
    if current is not None:
        initial_name = current.household.name
        initial_rows = [
            {"reference": m.person.reference, "relationship": m.relationship}
            for m in current.members
        ]
    else:
        initial_name = person.family_name
        initial_rows = [{"reference": person.reference, "relationship": "head"}]
    form = HouseholdForm(posted(request), initial={"name": initial_name})
    formset = HouseholdMemberFormSet(posted(request), initial=initial_rows, prefix="members")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        members = _member_inputs(actor, formset)
        if not formset.total_error_count():
            try:
                services.household_save(
                    actor=actor,
                    name=form.cleaned_data["name"],
                    members=members,
                    household=current.household if current else None,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Household saved")
                return redirect("people:record", person_id=person.pk)
    return render(
        request,
        "people/household_form.html",
        {"form": form, "formset": formset, "person": person, "current": current},
    )


def _member_inputs(actor: Actor, formset: BaseFormSet) -> list[MemberInput]:
    """Rows of the formset as service inputs; a record number the worker cannot see is an
    error on its row, worded like one that does not exist."""
    members: list[MemberInput] = []
    for row in formset:
        data = row.cleaned_data
        if not data or data.get("remove"):
            continue
        try:
            member = person_get(actor=actor, person_id=data["reference"], audit_as=None)
        except PersonNotFound:
            row.add_error("reference", f"No person with record number P-{data['reference']:06d}")
            continue
        members.append(MemberInput(member, data["relationship"]))
    return members
