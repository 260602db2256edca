"""Apply once for many programmes: choose, answer each needed question once (pre-filled),
give contact details, check, submit; then follow each application's status."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wraparound.applications import selectors, services
from wraparound.applications.forms import ContactForm
from wraparound.applications.models import ApplicationDraft, ApplicationStatus
from wraparound.core.forms import posted
from wraparound.eligibility.selectors import (
    facts_read_by,
    network_screener,
    programmes_for_network,
)
from wraparound.portal.check import answers_of
from wraparound.portal.questions import Question, jsonable, questions_for
from wraparound.portal.session import citizen_required, portal_network


def _questions(draft: ApplicationDraft) -> list[Question]:
    """The union of what the chosen programmes' rules read, each question once."""
    chosen = set(draft.programmes)
    found, _screener = network_screener(network=portal_network(), on=timezone.localdate())
    return questions_for(facts_read_by(p for p in found.programmes if p.ref in chosen))


def _steps(draft: ApplicationDraft) -> list[str]:
    return [q.slug for q in _questions(draft)] + ["contact"]


@citizen_required
def applications(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    return render(
        request,
        "applications/portal/list.html",
        {
            "applications": selectors.my_applications(context=portal),
            "drafts": selectors.my_drafts(context=portal),
        },
    )


@citizen_required
def choose(request: HttpRequest) -> HttpResponse:
    """Choose from the directory: every service and programme of the network."""
    query = request.GET.get("q", "").strip().lower()
    found = programmes_for_network(network=portal_network()).programmes
    if query:
        found = [p for p in found if query in p.name.lower() or query in p.organisation.lower()]
    return render(request, "applications/portal/choose.html", {"programmes": found, "q": query})


@citizen_required
def start(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    refs = request.GET.getlist("programmes")
    try:
        draft = services.draft_start(
            account=portal.account,
            person=portal.person,
            refs=refs,
            prefill=selectors.prefill(context=portal, check_answers=answers_of(request.session)),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal_applications:choose")
    return redirect("portal_applications:step", draft_id=draft.pk, slug=_steps(draft)[0])


@citizen_required
def step(request: HttpRequest, draft_id: int, slug: str) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    draft = selectors.my_draft(context=portal, draft_id=draft_id)
    steps = _steps(draft)
    if slug not in steps:
        raise Http404
    index = steps.index(slug)
    back = steps[index - 1] if index > 0 else None
    if slug == "contact":
        return _contact(request, draft, back)
    question = next(q for q in _questions(draft) if q.slug == slug)
    form_class = question.form_class(portal_network())
    initial = {n: draft.answers.get(n) for n in question.fields_names if n in draft.answers}
    form = form_class(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        services.draft_save(draft=draft, answers=jsonable(form.cleaned_data))
        if request.GET.get("change"):
            return redirect("portal_applications:check", draft_id=draft.pk)
        return redirect("portal_applications:step", draft_id=draft.pk, slug=steps[index + 1])
    return render(
        request,
        "applications/portal/question.html",
        {
            "draft": draft,
            "question": question,
            "form": form,
            "back": back,
            "number": index + 1,
            "count": len(steps),
            "single": len(question.fields_names) == 1,
        },
    )


def _contact(request: HttpRequest, draft: ApplicationDraft, back: str | None) -> HttpResponse:
    contact = dict(draft.answers.get("contact", {}))
    if contact.get("date_of_birth"):
        contact["date_of_birth"] = date.fromisoformat(contact["date_of_birth"])
    form = ContactForm(posted(request), initial=contact)
    if form.is_valid():
        cleaned = dict(form.cleaned_data)
        cleaned["date_of_birth"] = cleaned["date_of_birth"].isoformat()
        services.draft_save(draft=draft, answers={"contact": cleaned})
        return redirect("portal_applications:check", draft_id=draft.pk)
    return render(
        request,
        "applications/portal/contact.html",
        {"draft": draft, "form": form, "back": back, "count": len(_steps(draft))},
    )


@citizen_required
def check(request: HttpRequest, draft_id: int) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    draft = selectors.my_draft(context=portal, draft_id=draft_id)
    network = portal_network()
    rows = []
    for q in _questions(draft):
        form = q.form_class(network)()
        shown = []
        for name in q.fields_names:
            value = draft.answers.get(name)
            choices = dict(getattr(form.fields[name], "choices", []) or [])
            if isinstance(value, list):
                shown.append(", ".join(str(choices.get(v, v)) for v in value))
            elif value not in (None, ""):
                shown.append(str(choices.get(value, value)))
        rows.append((q, [s for s in shown if s]))
    names = {p.ref: p for p in programmes_for_network(network=network).programmes}
    chosen = [names[r] for r in draft.programmes if r in names]
    error = ""
    if request.method == "POST":
        try:
            made = services.application_submit(actor=portal.actor, draft=draft)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("Sent. %(n)s applications went to the agencies that decide them.")
                % {"n": len(made)}
                if len(made) > 1
                else _("Sent. Your application went to the agency that decides it."),
            )
            return redirect("portal_applications:list")
    return render(
        request,
        "applications/portal/check.html",
        {
            "draft": draft,
            "rows": rows,
            "chosen": chosen,
            "contact": draft.answers.get("contact", {}),
            "error": error,
        },
    )


@citizen_required
def detail(request: HttpRequest, application_id: int) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    application = selectors.my_application(context=portal, application_id=application_id)
    return render(
        request,
        "applications/portal/detail.html",
        {"application": application, "open": application.status in selectors.open_statuses()},
    )


@require_POST
@citizen_required
def withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    application = selectors.my_application(context=portal, application_id=application_id)
    try:
        services.application_move(
            actor=portal.actor,
            application=application,
            to=ApplicationStatus.WITHDRAWN,
            account=portal.account,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You have withdrawn your application."))
    return redirect("portal_applications:detail", application_id=application.pk)
