"""The caseload half of the assessment benchmark: ``caseload_benchmark() -> dict``.

The key worker's home page (``GET /``) for a worker with 200 active cases, each person with
a tier (a completed assessment), an agreed care plan (a fifth of them with the review date
passed) and, for the stepped-down ones, an exit plan. Timed through Django's test client
(middleware, session, selectors, template, audit of the rows shown).

Baseline, measured in the same run: the same page for a worker with 100 cases (as many
rows shown: a full page of 25 and the overdue list at its cap of 20, so the audit's bulk
insert is batched the same way on SQLite). The query count must be the same for both
(``caseload_queries`` and ``caseload_queries_baseline``): the page costs a fixed number of
queries whatever the caseload. Target: p95 <= 150 ms.

Called by ``bench/assessment.py`` (which prints the JSON line). If Django is not configured
yet, it makes a temporary SQLite database for itself. ``python bench/_caseload.py`` runs it
on its own and prints one JSON object as the last line.
"""

from __future__ import annotations

import gc
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import (
    Stats,
    analyze,
    capture_sql,
    log,
    migrate,
    print_json_line,
    ratio,
    setup_django,
    temporary_sqlite_database,
    time_ms,
)

TARGET_P95_MS = 150.0


def _load(prefix: str, n_cases: int) -> Any:
    """A network, a one-stop, a key worker with ``n_cases`` people in their caseload."""
    from django.utils import timezone

    from wraparound.accounts.models import Membership, Role, User
    from wraparound.assessments.models import (
        Assessment,
        AssessmentStatus,
        Instrument,
        InstrumentKind,
        InstrumentVersion,
        Tier,
    )
    from wraparound.cases.models import Case, CaseStatus, EntryRoute
    from wraparound.consent.grants import sync_access_grants
    from wraparound.core.models import Network
    from wraparound.directory.models import Organisation, Sector
    from wraparound.people.models import Person
    from wraparound.plans.models import (
        CarePlan,
        CarePlanStatus,
        ExitPlan,
        ExitStage,
        SupportLevel,
    )

    today = timezone.localdate()
    network = Network.objects.create(slug=f"{prefix}-net", name=f"{prefix} network")
    org = Organisation.objects.create(
        network=network, slug=f"{prefix}-one-stop", name="One-stop", sector=Sector.SOCIAL_SERVICES
    )
    worker = User.objects.create(username=f"{prefix}-keyworker", first_name="Key", last_name="W")
    Membership.objects.create(user=worker, organisation=org, role=Role.KEY_WORKER)
    instrument, _ = Instrument.objects.get_or_create(
        code="bench-matrix", defaults={"name": "Bench matrix", "kind": InstrumentKind.MATRIX}
    )
    version, _ = InstrumentVersion.objects.get_or_create(
        instrument=instrument, version=1, defaults={"definition": {}, "checksum": "0" * 64}
    )
    people = Person.objects.bulk_create(
        Person(
            network=network,
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            sort_name=f"family{i} given{i}",
            registered_by=org,
        )
        for i in range(n_cases)
    )
    tiers = list(Tier.values)
    now = timezone.now()
    for i, person in enumerate(people):
        # Two assessments each: the page must show the latest one's tier.
        for days in (90, 10):
            Assessment.objects.create(
                network=network,
                person=person,
                instrument_version=version,
                organisation=org,
                status=AssessmentStatus.COMPLETED,
                completed_at=now - timedelta(days=days),
                tier=tiers[(i + days) % len(tiers)],
                computed_tier=tiers[(i + days) % len(tiers)],
            )
    cases = Case.objects.bulk_create(
        Case(
            network=network,
            person=person,
            lead_organisation=org,
            key_worker=worker,
            entry_route=EntryRoute.CASE_MANAGEMENT,
            status=CaseStatus.STEPPED_DOWN if i % 4 == 0 else CaseStatus.OPEN,
            opened_on=today - timedelta(days=200),
            stepped_down_on=today - timedelta(days=20) if i % 4 == 0 else None,
        )
        for i, person in enumerate(people)
    )
    CarePlan.objects.bulk_create(
        CarePlan(
            case=case,
            person_id=case.person_id,
            version=1,
            status=CarePlanStatus.AGREED,
            agreed_on=today - timedelta(weeks=14),
            agreement_method="phone",
            review_on=today + timedelta(days=(-5 if i % 5 == 0 else 30)),
            created_by_organisation=org,
        )
        for i, case in enumerate(cases)
    )
    for case in cases[::4]:
        plan = ExitPlan.objects.create(
            case=case,
            person_id=case.person_id,
            starts_on=today,
            planned_close_on=today + timedelta(weeks=8),
            created_by_organisation=org,
        )
        ExitStage.objects.create(
            exit_plan=plan, position=0, level=SupportLevel.LIGHT_TOUCH, weeks=8, starts_on=today
        )
    sync_access_grants([p.pk for p in people])
    return worker


def _measure(worker: Any, iterations: int) -> tuple[list[float], int, str]:
    from django.test import Client

    client = Client()
    client.force_login(worker)
    for _ in range(5):  # warm up
        assert client.get("/").status_code == 200
    response, queries = capture_sql(lambda: client.get("/"))
    body = response.content.decode()
    samples = []
    gc.collect()
    for _ in range(iterations):
        samples.append(time_ms(lambda: client.get("/")))
    return samples, len(queries), body


BASELINE_CASES = 100


def _run(iterations: int, n_cases: int) -> dict[str, Any]:
    big_worker = _load("big", n_cases)
    small_worker = _load("small", BASELINE_CASES)
    analyze()
    log(f"caseload: timing the home page for {n_cases} cases ({iterations} requests)")
    big, big_queries, body = _measure(big_worker, iterations)
    log(f"caseload: timing the home page for {BASELINE_CASES} cases ({iterations} requests)")
    small, small_queries, _ = _measure(small_worker, iterations)
    checks = []
    if "Plan reviews overdue" not in body:
        checks.append("the overdue reviews list is missing")
    if "active cases" not in body or "Overdue" not in body:
        checks.append("the caseload table is missing")
    big_stats, small_stats = Stats.of(big), Stats.of(small)
    return {
        "caseload_cases": n_cases,
        "caseload_p50_ms": round(big_stats.p50_ms, 2),
        "caseload_p95_ms": round(big_stats.p95_ms, 2),
        "caseload_queries": big_queries,
        "caseload_baseline_cases": BASELINE_CASES,
        "caseload_baseline_p95_ms": round(small_stats.p95_ms, 2),
        "caseload_queries_baseline": small_queries,
        "caseload_queries_constant": big_queries == small_queries,
        "caseload_vs_baseline_p95_ratio": ratio(big_stats.p95_ms, small_stats.p95_ms),
        "caseload_target_p95_ms": TARGET_P95_MS,
        "caseload_met": big_stats.p95_ms <= TARGET_P95_MS and big_queries == small_queries,
        "caseload_checks": checks,
    }


def caseload_benchmark(*, iterations: int = 100, cases: int = 200) -> dict[str, Any]:
    """Time the caseload page; Django already set up (and migrated) by the caller, or a
    temporary SQLite database of its own otherwise."""
    from django.conf import settings

    if settings.configured:
        return _run(iterations, cases)
    with (
        temporary_sqlite_database("bench-caseload-") as url,
        tempfile.TemporaryDirectory() as var,
    ):
        setup_django(url, var_dir=Path(var))
        migrate()
        return _run(iterations, cases)


if __name__ == "__main__":
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    print_json_line(caseload_benchmark(iterations=iterations))
