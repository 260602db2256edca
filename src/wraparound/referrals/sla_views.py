"""The SLA report page (aggregates only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from wraparound.accounts.actor import actor_from_request
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
