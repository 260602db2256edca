"""Pages of the master client index: overview, the review queue and one pair. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from wraparound.accounts.actor import actor_from_request
from wraparound.core.forms import posted
from wraparound.linkage import selectors, services
from wraparound.linkage.forms import ReviewDecisionForm
from wraparound.linkage.models import ReviewStatus


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    context = selectors.linkage_overview(actor=actor)
    return render(request, "linkage/overview.html", context)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    status = "decided" if request.GET.get("status") == "decided" else "open"
    try:
        page_number = int(request.GET.get("page", "1"))
    except ValueError:
        page_number = 1
    page = selectors.review_queue(actor=actor, status=status, page=page_number)
    return render(request, "linkage/queue.html", {"page": page, "status": status})


@login_required
@require_http_methods(["GET", "POST"])
def pair(request: HttpRequest, pair_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    review = selectors.review_pair_get(actor=actor, pair_id=pair_id)
    form = ReviewDecisionForm(posted(request))
    if form.is_bound and form.is_valid():
        try:
            services.review_decide(
                actor=actor,
                pair=review,
                label=form.cleaned_data["label"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Decision recorded for {review.record}")
            return redirect("linkage:queue")
    return render(
        request,
        "linkage/pair.html",
        {
            "pair": review,
            "form": form,
            "decisions": selectors.pair_decisions(actor=actor, pair=review),
            "open": review.status in (ReviewStatus.OPEN, ReviewStatus.UNSURE),
        },
    )
