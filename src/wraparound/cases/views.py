"""Staff pages for cases: open, see, assign a key worker, step down, close, reopen, notes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.accounts.actor import Actor, actor_from_request
from wraparound.accounts.models import CASE_OPENING_ROLES, CASEWORK_ROLES, User
from wraparound.cases import services
from wraparound.cases.forms import (
    CaseNoteForm,
    CloseCaseForm,
    KeyWorkerForm,
    OpenCaseForm,
    StepDownForm,
)
from wraparound.cases.models import Case
from wraparound.cases.selectors import (
    assignable_key_workers,
    case_get,
    case_notes,
    key_workers_of,
)
from wraparound.consent.policy import Action
from wraparound.core.forms import posted
from wraparound.people.selectors import household_for_person, person_get
from wraparound.satisfaction.selectors import surveys_for_case


def _chosen_worker(form_value: str, workers: list[int]) -> User | None:
    if not form_value:
        return None
    user_id = int(form_value)
    return User.objects.get(pk=user_id) if user_id in workers else None


@login_required
@require_http_methods(["GET", "POST"])
def open_case(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(
        actor=actor, person_id=person_id, action=Action.EDIT, audit_as="case.open_form"
    )
    membership = actor.require_membership()
    if membership.role not in CASE_OPENING_ROLES:
        raise PermissionDenied(f"The {membership.get_role_display()} role cannot open cases")
    workers = key_workers_of(organisation=membership.organisation)
    initial = (
        {"key_worker": str(membership.user_id)}
        if workers.filter(user_id=membership.user_id).exists()
        else {}
    )
    form = OpenCaseForm(posted(request), workers=workers, initial=initial)
    household = household_for_person(actor=actor, person=person)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_open(
                actor=actor,
                person=person,
                entry_route=data["entry_route"],
                household=household.household if household and data["whole_household"] else None,
                key_worker=_chosen_worker(data["key_worker"], [w.user_id for w in workers]),
                opened_on=data["opened_on"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Case {case.reference} opened")
            return redirect("people:record", person_id=person.pk)
    return render(
        request, "cases/open.html", {"form": form, "person": person, "household": household}
    )


def _leads(actor: Actor, case: Case, roles: frozenset[str]) -> bool:
    return (
        actor.membership is not None
        and actor.membership.organisation_id == case.lead_organisation_id
        and actor.membership.role in roles
    )


def _detail_page(
    request: HttpRequest,
    actor: Actor,
    case: Case,
    note_form: CaseNoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_add_note = _leads(actor, case, CASEWORK_ROLES) and case.is_active
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "can_change": _leads(actor, case, CASE_OPENING_ROLES),
            "key_worker_form": KeyWorkerForm(workers=assignable_key_workers(case=case)),
            "close_form": CloseCaseForm(),
            "step_down_form": StepDownForm(),
            "notes": case_notes(actor=actor, case=case, page=request.GET.get("page")),
            "note_form": (note_form or CaseNoteForm()) if can_add_note else None,
            "surveys": surveys_for_case(case=case),
            "may_record_survey": _leads(actor, case, CASEWORK_ROLES),
        },
        status=status,
    )


@login_required
def detail(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    case = case_get(actor=actor, case_id=case_id)
    return _detail_page(request, actor, case)


@login_required
@require_POST
def add_note(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    case = case_get(actor=actor, case_id=case_id, action=Action.EDIT, audit_as=None)
    form = CaseNoteForm(request.POST)
    if form.is_valid():
        try:
            services.case_note_add(
                actor=actor,
                case=case,
                text=form.cleaned_data["text"],
                category=form.cleaned_data["category"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Note added")
            return redirect(reverse("cases:detail", args=[case.pk]) + "#notes")
    return _detail_page(request, actor, case, note_form=form, status=400)


def _case_action_page(
    request: HttpRequest, case: Case, form: object, template: str
) -> HttpResponse:
    return render(request, template, {"case": case, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def assign_key_worker(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    case = case_get(actor=actor, case_id=case_id, action=Action.EDIT)
    workers = assignable_key_workers(case=case)
    form = KeyWorkerForm(posted(request), workers=workers)
    if request.method == "POST" and form.is_valid():
        worker = _chosen_worker(form.cleaned_data["key_worker"], [w.user_id for w in workers])
        try:
            if worker is None:
                raise ValidationError({"key_worker": ["Choose a key worker from the list"]})
            services.case_assign_key_worker(actor=actor, case=case, key_worker=worker)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{worker.name} is now the key worker")
            return redirect("cases:detail", case_id=case.pk)
    return _case_action_page(request, case, form, "cases/key_worker.html")


@login_required
@require_http_methods(["GET", "POST"])
def step_down(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    case = case_get(actor=actor, case_id=case_id, action=Action.EDIT)
    form = StepDownForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.case_step_down(actor=actor, case=case, on=form.cleaned_data["on"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Case {case.reference} stepped down")
            return redirect("cases:detail", case_id=case.pk)
    return _case_action_page(request, case, form, "cases/step_down.html")


@login_required
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    case = case_get(actor=actor, case_id=case_id, action=Action.EDIT)
    form = CloseCaseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.case_close(
                actor=actor,
                case=case,
                reason=data["closure_reason"],
                note=data["closure_note"],
                on=data["on"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Case {case.reference} closed")
            return redirect("cases:detail", case_id=case.pk)
    return _case_action_page(request, case, form, "cases/close.html")


@login_required
@require_POST
def reopen(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    case = case_get(actor=actor, case_id=case_id, action=Action.EDIT, audit_as=None)
    try:
        services.case_reopen(actor=actor, case=case)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Case {case.reference} reopened")
    return redirect("cases:detail", case_id=case.pk)
