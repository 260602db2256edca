"""Dashboards for managers, analysts and network administrators (``may_read_aggregates``):
one page per report with filters, charts (each with its text summary and table), a CSV per
table, printable; and the network's targets and crisis unit costs. Thin: the figures come
from ``reports.py`` over the analytics store, the writes from ``services.py``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from wraparound.accounts.actor import Actor, actor_from_request
from wraparound.analytics.filters import FilterError, open_filtered, parse_filters
from wraparound.analytics.forms import FiltersForm, TargetForm, UnitCostsForm
from wraparound.analytics.models import SharedTarget
from wraparound.analytics.outcomes import OUTCOMES
from wraparound.analytics.reports import REPORTS, REPORTS_BY_CODE
from wraparound.analytics.results import ReportResult
from wraparound.analytics.services import (
    CONFIG_ROLES,
    current_targets,
    current_unit_costs,
    target_define,
    unit_costs_set,
)
from wraparound.analytics.store import StoreNotReady, current_snapshot
from wraparound.audit.models import AuditKind
from wraparound.audit.services import audit_record
from wraparound.consent.policy import may_read_aggregates, require


def _reader(request: HttpRequest) -> tuple[Actor, int]:
    actor = actor_from_request(request)
    membership = actor.require_membership()
    network_id = membership.organisation.network_id
    require(may_read_aggregates(actor, network_id=network_id))
    return actor, network_id


def _snapshot_label() -> str | None:
    try:
        name = current_snapshot().name
    except StoreNotReady:
        return None
    return f"{name[0:4]}-{name[4:6]}-{name[6:8]} {name[9:11]}:{name[11:13]} UTC"


@login_required
def index(request: HttpRequest) -> HttpResponse:
    actor, _ = _reader(request)
    return render(
        request,
        "analytics/index.html",
        {
            "reports": REPORTS,
            "snapshot": _snapshot_label(),
            "can_configure": actor.require_membership().role in CONFIG_ROLES,
        },
    )


def _run(
    request: HttpRequest, code: str
) -> tuple[Actor, ReportResult | None, FiltersForm, str, int]:
    """The report for the request's filters, or the error that stops it (shown on the page
    with the filters kept) and its status: 400 for a bad filter, 503 without a store."""
    report = REPORTS_BY_CODE.get(code)
    if report is None:
        raise Http404("No such report")
    actor, network_id = _reader(request)
    form = FiltersForm(request.GET or None, network_id=network_id)
    try:
        filters = parse_filters(request.GET, network_id=network_id)
    except FilterError as error:
        return actor, None, form, str(error), 400
    try:
        db = open_filtered(filters)
    except StoreNotReady as error:
        return actor, None, form, str(error), 503
    try:
        result = report.run(db, filters)
    finally:
        db.close()
    audit_record(
        actor=actor,
        action=f"analytics.report.{code}",
        kind=AuditKind.READ,
        summary=f"Dashboard {report.title} for {filters.describe()}",
    )
    return actor, result, form, "", 200


@login_required
def report_page(request: HttpRequest, code: str) -> HttpResponse:
    _, result, form, error, status = _run(request, code)
    report = REPORTS_BY_CODE[code]
    context = {
        "report": report,
        "result": result,
        "form": form,
        "error": error,
        "snapshot": _snapshot_label(),
        "reports": REPORTS,
        "query": result.filters.query_string() if result else "",
        "charts": [(chart, chart.data_uri()) for chart in result.charts] if result else [],
    }
    return render(request, "analytics/report.html", context, status=status)


@login_required
def report_csv(request: HttpRequest, code: str, table: str) -> HttpResponse:
    _, result, _, error, status = _run(request, code)
    if result is None:
        return HttpResponse(error, status=status, content_type="text/plain; charset=utf-8")
    try:
        found = result.table(table)
    except KeyError:
        raise Http404("No such table") from None
    response = HttpResponse(found.to_csv(), content_type="text/csv; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{code}-{table}-{day}.csv"'
    return response


def _configurer(request: HttpRequest) -> tuple[Actor, int]:
    actor, network_id = _reader(request)
    if actor.require_membership().role not in CONFIG_ROLES:
        raise PermissionDenied("Targets and unit costs are set by managers and network admins")
    return actor, network_id


@login_required
@require_http_methods(["GET", "POST"])
def configuration(request: HttpRequest) -> HttpResponse:
    actor, network_id = _configurer(request)
    target_form = TargetForm(request.POST if "target" in request.POST else None)
    costs_form = UnitCostsForm(
        request.POST if "costs" in request.POST else None,
        initial=_initial_costs(network_id),
    )
    if request.method == "POST":
        form = target_form if "target" in request.POST else costs_form
        if form.is_valid():
            try:
                if form is target_form:
                    data = target_form.cleaned_data
                    saved = target_define(actor=actor, **data)
                    messages.success(request, f"Saved {saved.title} (version {saved.version}).")
                else:
                    row = unit_costs_set(
                        actor=actor,
                        costs=costs_form.costs(),
                        source=costs_form.cleaned_data["source"],
                    )
                    messages.success(request, f"Saved crisis unit costs version {row.version}.")
                return redirect("analytics:configuration")
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "analytics/configuration.html",
        {
            "targets": current_targets(network_id=network_id),
            "history": SharedTarget.objects.filter(network_id=network_id).order_by(
                "code", "-version"
            ),
            "unit_costs": current_unit_costs(network_id=network_id),
            "target_form": target_form,
            "costs_form": costs_form,
            "outcomes": OUTCOMES,
        },
        status=status,
    )


def _initial_costs(network_id: int) -> dict[str, object]:
    current = current_unit_costs(network_id=network_id)
    if current is None:
        return {}
    return {"source": current.source, **{f"cost_{k}": v for k, v in current.costs.items()}}
