"""Referrals: an organisation's inbox page with 10,000 referrals, and concurrent transitions.

**inbox**: ``GET /referrals/inbox/`` (first page, SLA order) for a practitioner of an
organisation that has received 10,000 referrals (about 6,000 still open) from 2,000 people,
timed through Django's test client (middleware, session, selectors, template, list audit).
Baseline, measured in the same run: the same page for an organisation with 100 referrals;
the query count must be equal (``inbox_queries_constant``). Target: p95 <= 200 ms on SQLite
and on PostgreSQL.

**concurrency** (PostgreSQL only): 50 threads, each with its own connection, accept 50
different referrals to one service with 25 free slots at the same moment, then 50 threads
all try to cancel one and the same referral. No update may be lost: exactly 25 referrals hold
a slot, 25 are on the waitlist, the service has 0 slots left, every referral's status equals
the last step of its history, and exactly one cancellation wins (the others are refused as
illegal moves). ``lost_updates`` counts every discrepancy (target 0).

    python bench/referrals.py [--backend sqlite|postgres|both] [--referrals 10000]

Progress on stderr; one JSON object as the last line of stdout with ``inbox_p95_ms`` (the
worse backend) and ``lost_updates``.
"""

from __future__ import annotations

import argparse
import gc
import random
import tempfile
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import (
    Stats,
    analyze,
    capture_sql,
    fresh_postgres_database,
    log,
    machine,
    migrate,
    postgres_unavailable_reason,
    print_json_line,
    ratio,
    run_child,
    setup_django,
    temporary_sqlite_database,
    time_ms,
)

TARGET_P95_MS = 200.0
BASELINE_REFERRALS = 100
PG_DATABASE = "wraparound_bench_referrals"
INBOX = "/referrals/inbox/"
THREADS = 50
SLOTS = 25


def _network(prefix: str) -> Any:
    from wraparound.accounts.models import Membership, Role, User
    from wraparound.core.models import Network
    from wraparound.directory.models import Organisation, Sector, Service, ServiceNeed
    from wraparound.directory.needs import NeedCategory

    network = Network.objects.create(slug=f"{prefix}-net", name=f"{prefix} network")
    one_stop = Organisation.objects.create(
        network=network, slug=f"{prefix}-one-stop", name="One-stop", sector=Sector.SOCIAL_SERVICES
    )
    housing = Organisation.objects.create(
        network=network, slug=f"{prefix}-housing", name="Housing", sector=Sector.HOUSING
    )
    keyworker = User.objects.create(username=f"{prefix}-kw", first_name="Key", last_name="W")
    practitioner = User.objects.create(username=f"{prefix}-pr", first_name="Prac", last_name="T")
    Membership.objects.create(user=keyworker, organisation=one_stop, role=Role.KEY_WORKER)
    Membership.objects.create(user=practitioner, organisation=housing, role=Role.PRACTITIONER)
    services = []
    for i in range(5):
        service = Service.objects.create(
            organisation=housing, name=f"Housing service {i}", status="active"
        )
        ServiceNeed.objects.create(service=service, need=NeedCategory.HOUSING_INSTABILITY)
        services.append(service)
    return network, one_stop, housing, keyworker, practitioner, services


def _consented_people(network: Any, one_stop: Any, housing: Any, n: int, prefix: str) -> list[Any]:
    from wraparound.consent.grants import sync_access_grants
    from wraparound.consent.models import Consent, ConsentCategory, Evidence, Purpose, RecipientKind
    from wraparound.people.models import Person

    people = Person.objects.bulk_create(
        Person(
            network=network,
            given_name=f"Given{i}",
            family_name=f"{prefix}Family{i}",
            sort_name=f"{prefix}family{i} given{i}",
            registered_by=one_stop,
        )
        for i in range(n)
    )
    consents = Consent.objects.bulk_create(
        Consent(
            network=network,
            person=person,
            recipient_kind=RecipientKind.ORGANISATION,
            recipient_organisation=housing,
            purpose=Purpose.CARE_COORDINATION,
            evidence=Evidence.VERBAL,
            recorded_by_organisation=one_stop,
        )
        for person in people
    )
    ConsentCategory.objects.bulk_create(
        ConsentCategory(consent=c, category="assessments") for c in consents
    )
    sync_access_grants([p.pk for p in people])
    return people


def _load_inbox(prefix: str, n_referrals: int, rng: random.Random) -> Any:
    """An organisation with ``n_referrals`` received, in every status, some overdue."""
    from django.utils import timezone

    from wraparound.referrals.models import Referral, ReferralStatus, Urgency

    network, one_stop, housing, keyworker, practitioner, services = _network(prefix)
    people = _consented_people(network, one_stop, housing, max(n_referrals // 5, 20), prefix)
    now = timezone.now()
    statuses = [
        (ReferralStatus.REQUESTED, 35),
        (ReferralStatus.ACCEPTED, 10),
        (ReferralStatus.IN_PROGRESS, 10),
        (ReferralStatus.ON_HOLD, 5),
        (ReferralStatus.COMPLETED, 20),
        (ReferralStatus.REJECTED, 10),
        (ReferralStatus.CANCELLED, 10),
    ]
    codes, weights = zip(*statuses, strict=True)
    rows = []
    for i in range(n_referrals):
        status = rng.choices(codes, weights)[0]
        sent = now - timedelta(hours=rng.randint(1, 24 * 120))
        reason = status in (
            ReferralStatus.REJECTED,
            ReferralStatus.CANCELLED,
            ReferralStatus.ON_HOLD,
        )
        rows.append(
            Referral(
                network=network,
                person=people[i % len(people)],
                service=services[i % len(services)],
                receiving_organisation=housing,
                referring_organisation=one_stop,
                referred_by=keyworker,
                need="housing-instability",
                reason="Rent arrears",
                urgency=rng.choice(list(Urgency.values)),
                bundle=["assessments"],
                status=status,
                status_reason_code="other" if reason else "",
                status_reason="bench" if reason else "",
                created_at=sent,
                requested_at=sent,
                respond_by=sent + timedelta(hours=rng.randint(8, 96)),
                status_changed_at=sent,
            )
        )
    Referral.objects.bulk_create(rows, batch_size=2000)
    return practitioner


def _measure(user: Any, iterations: int) -> tuple[list[float], int, str]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    for _ in range(5):
        response = client.get(INBOX)
        assert response.status_code == 200, response.status_code
    response, queries = capture_sql(lambda: client.get(INBOX))
    body = response.content.decode()
    gc.collect()
    samples = [time_ms(lambda: client.get(INBOX)) for _ in range(iterations)]
    return samples, len(queries), body


def _concurrency() -> dict[str, Any]:
    """50 simultaneous accepts for 25 slots, then 50 simultaneous cancels of one referral."""
    from django.db import connection, connections

    from wraparound.accounts.actor import actor_for_user
    from wraparound.directory.models import Service
    from wraparound.referrals.models import Referral, ReferralStatus, WaitlistEntry
    from wraparound.referrals.services import (
        IllegalTransition,
        referral_create,
        referral_transition,
    )

    network, one_stop, housing, keyworker, practitioner, services = _network("race")
    service = services[0]
    Service.objects.filter(pk=service.pk).update(capacity_total=SLOTS, capacity_available=SLOTS)
    service.refresh_from_db()
    people = _consented_people(network, one_stop, housing, THREADS, "race")
    referrer = actor_for_user(keyworker, via="bench")
    referrals = [
        referral_create(
            actor=referrer, person=p, service=service, need="housing-instability", reason="Rent"
        )
        for p in people
    ]
    connection.close()
    barrier = threading.Barrier(THREADS)
    errors: list[str] = []
    outcomes: list[str] = []

    def run(fn: Any) -> None:
        try:
            barrier.wait()
            outcomes.append(fn())
        except Exception as exc:  # recorded: an unexpected failure is a lost update
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    def accept(referral: Any) -> str:
        actor = actor_for_user(practitioner, via="bench")
        referral_transition(actor=actor, referral=referral, to=ReferralStatus.ACCEPTED)
        return "accepted"

    threads = [threading.Thread(target=run, args=(lambda r=r: accept(r),)) for r in referrals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    holders = Referral.objects.filter(service=service, holds_slot=True).count()
    waiting = WaitlistEntry.objects.filter(service=service, status="waiting").count()
    left = Service.objects.get(pk=service.pk).capacity_available
    mismatched = sum(
        1
        for r in Referral.objects.filter(service=service).prefetch_related("transitions")
        if r.status != list(r.transitions.all())[-1].to_status
    )
    lost = abs(holders - SLOTS) + abs(waiting - (THREADS - SLOTS)) + abs(left or 0) + mismatched
    lost += len(errors)

    target = referrals[0]
    cancel_errors: list[str] = []
    cancels: list[str] = []
    barrier = threading.Barrier(THREADS)

    def cancel() -> None:
        try:
            barrier.wait()
            actor = actor_for_user(practitioner, via="bench")
            referral_transition(
                actor=actor, referral=target, to="cancelled", reason_code="other", reason="race"
            )
            cancels.append("ok")
        except IllegalTransition:
            cancel_errors.append("illegal")
        except Exception as exc:
            cancel_errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cancel) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    unexpected = [e for e in cancel_errors if e != "illegal"]
    steps = Referral.objects.get(pk=target.pk).transitions.filter(to_status="cancelled").count()
    lost += abs(len(cancels) - 1) + len(unexpected) + abs(steps - 1)
    return {
        "concurrent_accepts": THREADS,
        "slots": SLOTS,
        "slot_holders": holders,
        "waitlisted": waiting,
        "slots_left": left,
        "status_history_mismatches": mismatched,
        "accept_errors": errors[:5],
        "concurrent_cancels_won": len(cancels),
        "cancel_unexpected_errors": unexpected[:5],
        "lost_updates": lost,
    }


def child(backend: str, n_referrals: int, iterations: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    database = (
        temporary_sqlite_database("bench-referrals-")
        if backend == "sqlite"
        else fresh_postgres_database(PG_DATABASE)
    )
    with database as url, tempfile.TemporaryDirectory(prefix="bench-var-") as var_dir:
        setup_django(url, var_dir=Path(var_dir))
        log(f"{backend}: migrating")
        migrate()
        log(f"{backend}: loading {n_referrals} referrals")
        big = _load_inbox("big", n_referrals, rng)
        small = _load_inbox("small", BASELINE_REFERRALS, rng)
        analyze()
        log(f"{backend}: timing the inbox ({iterations} requests each)")
        big_samples, big_queries, body = _measure(big, iterations)
        small_samples, small_queries, _ = _measure(small, iterations)
        big_stats, small_stats = Stats.of(big_samples), Stats.of(small_samples)
        result: dict[str, Any] = {
            "backend": backend,
            "inbox_referrals": n_referrals,
            "inbox_p50_ms": round(big_stats.p50_ms, 2),
            "inbox_p95_ms": round(big_stats.p95_ms, 2),
            "inbox_queries": big_queries,
            "inbox_baseline_referrals": BASELINE_REFERRALS,
            "inbox_baseline_p95_ms": round(small_stats.p95_ms, 2),
            "inbox_queries_baseline": small_queries,
            "inbox_queries_constant": big_queries == small_queries,
            "inbox_vs_baseline_p95_ratio": ratio(big_stats.p95_ms, small_stats.p95_ms),
            "inbox_shows_rows": body.count("R-0") >= 10,
        }
        if backend == "postgres":
            log("postgres: 50 concurrent transitions")
            result.update(_concurrency())
        from django.db import connections

        connections.close_all()
        return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--referrals", type=int, default=10_000)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print_json_line(child(args.backend, args.referrals, args.iterations, args.seed))
        return 0
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for backend in backends:
        if backend == "postgres" and (reason := postgres_unavailable_reason()):
            log(f"skipping PostgreSQL: {reason}")
            skipped[backend] = reason
            continue
        results[backend] = run_child(
            [__file__, "--child", "--backend", backend, "--referrals", str(args.referrals),
             "--iterations", str(args.iterations), "--seed", str(args.seed)]
        )  # fmt: skip
    worst = max((r["inbox_p95_ms"] for r in results.values()), default=None)
    summary: dict[str, Any] = {
        "benchmark": "referrals",
        "machine": machine(),
        "inbox_p95_ms": worst,
        "inbox_target_p95_ms": TARGET_P95_MS,
        "inbox_queries_constant": all(r["inbox_queries_constant"] for r in results.values()),
        "lost_updates": results.get("postgres", {}).get("lost_updates"),
        "skipped": skipped,
    }
    for backend, result in results.items():
        for key, value in result.items():
            if key != "backend":
                summary[f"{backend}_{key}"] = value
    summary["met"] = (
        worst is not None
        and worst <= TARGET_P95_MS
        and summary["inbox_queries_constant"]
        and summary["lost_updates"] == 0
    )
    print_json_line(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
