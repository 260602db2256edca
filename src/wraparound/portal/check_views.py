"""The anonymous check: one question per page, answers kept in the session, results."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from wraparound.core.forms import posted
from wraparound.portal.check import (
    answers_of,
    check_questions,
    check_results,
    forget_answers,
    save_answers,
)
from wraparound.portal.questions import jsonable
from wraparound.portal.session import portal_network


def start(request: HttpRequest) -> HttpResponse:
    questions = check_questions(portal_network())
    return render(
        request,
        "portal/check/start.html",
        {"first": questions[0] if questions else None, "count": len(questions)},
    )


def question(request: HttpRequest, slug: str) -> HttpResponse:
    network = portal_network()
    questions = check_questions(network)
    slugs = [q.slug for q in questions]
    if slug not in slugs:
        raise Http404
    index = slugs.index(slug)
    current = questions[index]
    answers = answers_of(request.session)
    form_class = current.form_class(network)
    initial = {name: answers.get(name) for name in current.fields_names if name in answers}
    form = form_class(posted(request), initial=initial)
    if form.is_valid():
        save_answers(request.session, current, jsonable(form.cleaned_data))
        if request.GET.get("change"):
            return redirect("portal:check_answers")
        if index + 1 < len(questions):
            return redirect("portal:check_question", slug=questions[index + 1].slug)
        return redirect("portal:check_answers")
    back = questions[index - 1].slug if index > 0 else None
    return render(
        request,
        "portal/check/question.html",
        {
            "question": current,
            "form": form,
            "back": back,
            "number": index + 1,
            "count": len(questions),
            "single": len(current.fields_names) == 1,
        },
    )


def answers(request: HttpRequest) -> HttpResponse:
    network = portal_network()
    questions = check_questions(network)
    kept = answers_of(request.session)
    rows = []
    for q in questions:
        form = q.form_class(network)()
        shown = []
        for name in q.fields_names:
            value = kept.get(name)
            field = form.fields[name]
            choices = dict(getattr(field, "choices", []) or [])
            if value in (None, "", []):
                shown.append("")
            elif isinstance(value, list):
                shown.append(", ".join(str(choices.get(v, v)) for v in value))
            else:
                shown.append(str(choices.get(value, value)))
        rows.append((q, [s for s in shown if s], q.answered(kept)))
    return render(request, "portal/check/answers.html", {"rows": rows})


def results(request: HttpRequest) -> HttpResponse:
    network = portal_network()
    outcome = check_results(network, answers_of(request.session))
    try:
        apply_url = reverse("portal_applications:start")
    except NoReverseMatch:  # the applications app is not installed
        apply_url = ""
    return render(
        request, "portal/check/results.html", {"results": outcome, "apply_url": apply_url}
    )


@require_POST
def clear(request: HttpRequest) -> HttpResponse:
    forget_answers(request.session)
    return redirect("portal:check")
