from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wraparound.accounts.actor import actor_from_request
from wraparound.cases.selectors import caseload, overdue_reviews
from wraparound.core.health import database_problem
from wraparound.core.pagination import paginate
from wraparound.crisis.selectors import open_alert_count
from wraparound.people.selectors import audit_list_reads
from wraparound.plans.selectors import check_ins_due


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers; 503 with the reason when it does not."""
    problem = database_problem()
    if problem is not None:
        return JsonResponse({"status": "error", "database": problem}, status=503)
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in worker's caseload: open cases, newest activity first."""
    actor = actor_from_request(request)
    page = paginate(request, caseload(actor=actor))
    overdue = overdue_reviews(actor=actor)
    today = timezone.localdate()
    check_ins = list(check_ins_due(actor=actor, until=today + timedelta(days=7))[:20])
    shown = {case.person_id: case.person for case in [*page, *overdue]}
    shown.update({c.exit_plan.person_id: c.exit_plan.person for c in check_ins})
    audit_list_reads(actor=actor, people=shown.values(), action="caseload.list")
    return render(
        request,
        "core/home.html",
        {
            "page": page,
            "actor": actor,
            "overdue": overdue,
            "today": today,
            "check_ins": check_ins,
            "open_alerts": open_alert_count(actor=actor),
        },
    )
