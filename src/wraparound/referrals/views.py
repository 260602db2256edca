"""Referral pages: thin; the selectors decide what is shown and the services what changes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from wraparound.accounts.actor import actor_from_request
from wraparound.referrals.selectors import referral_get


@login_required
def detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    view = referral_get(actor=actor_from_request(request), referral_id=referral_id)
    return render(request, "referrals/detail.html", {"view": view, "referral": view.referral})
