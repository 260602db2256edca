"""Staff pages to merge two records of the same person, see a record's merges and undo one.
Thin: parse, call a selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from wraparound.accounts.actor import actor_from_request
from wraparound.consent.policy import require
from wraparound.core.forms import posted
from wraparound.people.forms import MergeForm, UnmergeForm
from wraparound.people.merge import (
    may_merge,
    merge_get,
    merges_for_person,
    person_merge,
    person_unmerge,
)
from wraparound.people.models import Person
from wraparound.people.selectors import PersonNotFound, person_get


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, person_id: int) -> HttpResponse:
    """Choose the other record, which one is kept and why; check both; confirm."""
    actor = actor_from_request(request)
    require(may_merge(actor))
    person = person_get(actor=actor, person_id=person_id, audit_as="person.merge_form")
    form = MergeForm(posted(request))
    other = None
    if request.method == "POST" and form.is_valid():
        try:
            other = person_get(
                actor=actor, person_id=form.cleaned_data["other"], audit_as="person.merge_form"
            )
        except PersonNotFound:
            form.add_error("other", f"No person with record number {form.data['other']}")
        if other is not None and form.cleaned_data["confirm"]:
            keep_this = form.cleaned_data["keep"] == "this"
            survivor, merged = (person, other) if keep_this else (other, person)
            try:
                person_merge(
                    actor=actor,
                    survivor=survivor,
                    merged=merged,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{merged.reference} is merged into {survivor.reference}")
                return redirect("people:record", person_id=survivor.pk)
    pair: tuple[Person, Person] | None = None
    if other is not None and form.is_valid() and not form.errors:
        keep_this = form.cleaned_data["keep"] == "this"
        pair = (person, other) if keep_this else (other, person)
    return render(
        request,
        "people/merge.html",
        {
            "form": form,
            "person": person,
            "checking": pair is not None,
            "survivor": pair[0] if pair else None,
            "merged": pair[1] if pair else None,
        },
    )


@login_required
def merge_history(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    person = person_get(actor=actor, person_id=person_id, audit_as="person.merge_history")
    return render(
        request,
        "people/merge_history.html",
        {
            "person": person,
            "merges": _with_unmerge_forms(merges_for_person(actor=actor, person=person)),
            "can_merge": bool(may_merge(actor)),
            "form": UnmergeForm(),
        },
    )


def _unmerge_prefix(merge_id: int) -> str:
    # One form per merge on the page: each needs its own field ids.
    return f"merge-{merge_id}"


def _with_unmerge_forms(merges: Any, failed: UnmergeForm | None = None) -> list[Any]:
    result = list(merges)
    for merge in result:
        merge.unmerge_form = (
            failed
            if failed is not None and failed.prefix == _unmerge_prefix(merge.pk)
            else UnmergeForm(prefix=_unmerge_prefix(merge.pk))
        )
    return result


@login_required
@require_POST
def unmerge(request: HttpRequest, merge_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    require(may_merge(actor))
    the_merge = merge_get(actor=actor, merge_id=merge_id)
    form = UnmergeForm(request.POST, prefix=_unmerge_prefix(the_merge.pk))
    if form.is_valid():
        try:
            person_unmerge(actor=actor, merge=the_merge, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                f"{the_merge.merged.reference} is unmerged from {the_merge.survivor.reference}",
            )
            return redirect("people:record", person_id=the_merge.survivor_id)
    person = the_merge.survivor
    return render(
        request,
        "people/merge_history.html",
        {
            "person": person,
            "merges": _with_unmerge_forms(merges_for_person(actor=actor, person=person), form),
            "can_merge": True,
            "form": form,
            "failed_merge": the_merge.pk,
        },
        status=200,
    )
