"""The worker's notifications: newest first, mark all read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wraparound.accounts.actor import actor_from_request
from wraparound.core.pagination import paginate
from wraparound.notifications.selectors import notifications_for, unread_count
from wraparound.notifications.services import notifications_mark_read


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = actor_from_request(request)
    page = paginate(request, notifications_for(actor=actor), per_page=50)
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread": unread_count(actor=actor)},
    )


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(actor=actor_from_request(request))
    return redirect("notifications:inbox")
