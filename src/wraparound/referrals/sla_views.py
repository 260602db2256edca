"""Manager pages: the SLA report (aggregates only) and a service's waitlist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from wraparound.accounts.actor import actor_from_request
from wraparound.referrals import services
from wraparound.referrals.selectors import service_of, service_waitlist
from wraparound.referrals.sla_selectors import PERIODS, reason_label, sla_report


@login_required
def report(request: HttpRequest) -> HttpResponse:
    try:
        days = int(request.GET.get("days", "90"))
    except ValueError:
        days = 90
    result = sla_report(actor=actor_from_request(request), days=days)
    rejections = [(reason_label(code), n) for code, n in result.rejections]
    return render(
        request,
        "referrals/sla/report.html",
        {"report": result, "periods": PERIODS, "rejections": rejections},
    )


@login_required
def waitlist(request: HttpRequest, service_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    rows = service_waitlist(actor=actor, service_id=service_id)
    return render(
        request,
        "referrals/sla/waitlist.html",
        {
            "rows": rows,
            "service": service_of(actor=actor, service_id=service_id),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def offer_next(request: HttpRequest, service_id: int) -> HttpResponse:
    actor = actor_from_request(request)
    service = service_of(actor=actor, service_id=service_id)
    offered = services.waitlist_offer_next(actor=actor, service=service)
    if offered is None:
        messages.error(request, "No free place to offer, or nobody waiting")
    else:
        messages.success(request, f"A place was offered to referral R-{offered.referral_id:06d}")
    return redirect("referrals:waitlist", service_id=service.pk)
