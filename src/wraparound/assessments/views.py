"""Staff pages for assessments. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.accounts.actor import actor_from_request
from wraparound.accounts.models import Role
from wraparound.assessments import services
from wraparound.assessments.definition import DECLINED, DONT_KNOW
from wraparound.assessments.forms import OverrideForm, SectionForm, StartForm, initial_answers
from wraparound.assessments.models import AnswerStatus, Assessment
from wraparound.assessments.selectors import (
    assessment_get,
    assessments_for_person,
    compare_with_previous,
    drafts_of,
    instruments,
    may_see_assessments,
    overrides_for_manager,
)
from wraparound.consent.categories import DataCategory
from wraparound.consent.policy import Action, decide
from wraparound.core.forms import posted
from wraparound.people.selectors import person_get


def _can_edit(request: HttpRequest, assessment_person: object) -> bool:
    actor = actor_from_request(request)
    return bool(
        decide(
            actor=actor,
            person=assessment_person,  # type: ignore[arg-type]
            category=DataCategory.ASSESSMENTS,
            action=Action.EDIT,
        )
    )


@login_required
def person_assessments(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(actor=actor, person_id=person_id, audit_as="person.view")
    can_edit = _can_edit(request, person)
    choices = [(v.instrument.code, d.name) for v, d in instruments()]
    return render(
        request,
        "assessments/person.html",
        {
            "person": person,
            "allowed": may_see_assessments(actor=actor, person=person),
            "assessments": assessments_for_person(actor=actor, person=person),
            "drafts": drafts_of(actor=actor, person=person) if can_edit else [],
            "can_edit": can_edit,
            "start_form": StartForm(choices=choices) if can_edit else None,
        },
    )


@login_required
@require_POST
def start(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(actor=actor, person_id=person_id, audit_as=None)
    choices = [(v.instrument.code, d.name) for v, d in instruments()]
    form = StartForm(posted(request), choices=choices)
    if not form.is_valid():
        messages.error(request, _("Choose an instrument to start an assessment"))
        return redirect("assessments:for_person", person.pk)
    assessment = services.assessment_start(
        actor=actor, person=person, instrument=form.cleaned_data["instrument"]
    )
    return redirect("assessments:capture", assessment.pk)


def _saved_answers(assessment: Assessment) -> dict[str, object]:
    values: dict[str, str] = {AnswerStatus.DECLINED: DECLINED, AnswerStatus.DONT_KNOW: DONT_KNOW}
    return {a.question: values.get(a.status, a.value) for a in assessment.answers.all()}


@login_required
@require_http_methods(["GET", "POST"])
def capture(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """One section per page; every move saves the draft, so it can be resumed."""
    actor = actor_from_request(request)
    assessment = assessment_get(actor=actor, assessment_id=assessment_id)
    if not assessment.is_draft:
        return redirect("assessments:detail", assessment.pk)
    if not _can_edit(request, assessment.person):
        raise PermissionDenied("You cannot change this assessment")
    definition = services.definition_of(assessment.instrument_version)
    codes = [s.code for s in definition.sections]
    wanted = request.POST.get("section") or request.GET.get("section")
    code = wanted if wanted in codes else (assessment.current_section or codes[0])
    section = definition.section(code) or definition.sections[0]
    index = codes.index(section.code)
    form = SectionForm(
        posted(request),
        section=section,
        initial=initial_answers(section, _saved_answers(assessment)),
    )
    if request.method == "POST" and form.is_valid():
        move = request.POST.get("move", "next")
        target = {
            "previous": codes[max(index - 1, 0)],
            "next": codes[min(index + 1, len(codes) - 1)],
        }.get(move, section.code)
        try:
            if move == "complete":
                services.assessment_complete(
                    actor=actor, assessment=assessment, answers=form.answers()
                )
                messages.success(request, _("Assessment completed"))
                return redirect("assessments:detail", assessment.pk)
            services.assessment_save_draft(
                actor=actor, assessment=assessment, answers=form.answers(), section=target
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if move == "leave":
                messages.success(request, _("Draft saved: you can carry on later"))
                return redirect("assessments:for_person", assessment.person_id)
            return redirect(f"{request.path}?section={target}")
    return render(
        request,
        "assessments/capture.html",
        {
            "assessment": assessment,
            "person": assessment.person,
            "definition": definition,
            "section": section,
            "sections": definition.sections,
            "step": index + 1,
            "is_first": index == 0,
            "is_last": index == len(codes) - 1,
            "form": form,
        },
    )


@login_required
def detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    assessment = assessment_get(actor=actor, assessment_id=assessment_id)
    if assessment.is_draft:
        return redirect("assessments:capture", assessment.pk)
    definition = services.definition_of(assessment.instrument_version)
    answers = _saved_answers(assessment)
    rows = []
    for section in definition.sections:
        for q in section.questions:
            value = answers.get(q.code)
            if value == DECLINED:
                shown = _("Declined to answer")
            elif value == DONT_KNOW:
                shown = _("Does not know")
            elif value is None:
                shown = _("Not answered")
            else:
                values = value if isinstance(value, list) else [value]
                shown = "; ".join(o.label for v in values if (o := q.option(v)) is not None)
            rows.append((section.title, q, shown))
    can_edit = _can_edit(request, assessment.person)
    return render(
        request,
        "assessments/detail.html",
        {
            "assessment": assessment,
            "person": assessment.person,
            "definition": definition,
            "rows": rows,
            "needs": sorted(assessment.needs.all(), key=lambda n: n.position),
            "screens": list(assessment.screen_results.all()),
            "comparison": compare_with_previous(assessment=assessment),
            "overrides": list(assessment.overrides.all()),
            "override_form": OverrideForm() if can_edit else None,
        },
    )


@login_required
@require_POST
def override(request: HttpRequest, assessment_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    assessment = assessment_get(actor=actor, assessment_id=assessment_id)
    form = OverrideForm(posted(request))
    if form.is_valid():
        try:
            services.tier_override(
                actor=actor,
                assessment=assessment,
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Tier changed; managers will see the reason"))
            return redirect("assessments:detail", assessment.pk)
    return render(
        request,
        "assessments/override.html",
        {"assessment": assessment, "person": assessment.person, "form": form},
        status=422,
    )


@login_required
def overrides_report(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    if actor.role not in {Role.MANAGER, Role.NETWORK_ADMIN}:
        raise PermissionDenied("Only managers see the tier overrides report")
    return render(
        request,
        "assessments/overrides.html",
        {"overrides": overrides_for_manager(actor=actor)},
    )
