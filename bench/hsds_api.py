"""HSDS API: `/hsds/services?per_page=50` over a directory of 10,000 services.

Measures, in one run on a temporary SQLite database (or DATABASE_URL's PostgreSQL with
--postgres), the p50/p95 of the list page (default list form), of the fully nested page
(full=true), and of a baseline: the same full page serialised naively, without preloading
(one query per relation per service). Counts the queries of each page at several page
numbers and sizes: the list and full pages must cost the same number whatever the size.

Target: p95 <= 100 ms for `/hsds/services?per_page=50`. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import uuid
from datetime import time
from pathlib import Path

from _common import (
    Stats,
    analyze,
    fresh_postgres_database,
    log,
    machine,
    migrate,
    print_json_line,
    ratio,
    setup_django,
    temporary_sqlite_database,
    time_ms,
    vendor,
)


def build(services: int, rng: random.Random) -> None:
    from django.utils import timezone

    from wraparound.core.models import Network
    from wraparound.directory import models as m

    network = Network.objects.create(slug="bench", name="Bench network")
    orgs = m.Organisation.objects.bulk_create(
        [
            m.Organisation(
                network=network,
                slug=f"org-{i}",
                name=f"Organisation {i}",
                sector="other",
                kind="non_profit",
                hsds_id=uuid.uuid4(),
                description="An agency",
            )
            for i in range(200)
        ]
    )
    locations = m.Location.objects.bulk_create(
        [
            m.Location(
                network=network, organisation=org, name=f"{org.name} office", hsds_id=uuid.uuid4()
            )
            for org in orgs
        ]
    )
    now = timezone.now()
    batch = 2000
    for start in range(0, services, batch):
        rows = m.Service.objects.bulk_create(
            [
                m.Service(
                    organisation=orgs[i % len(orgs)],
                    name=f"Service {i:05d}",
                    status="active",
                    description="Help with housing, food and money",
                    last_modified=now,
                    hsds_id=uuid.uuid4(),
                )
                for i in range(start, min(services, start + batch))
            ]
        )
        m.Phone.objects.bulk_create(
            [m.Phone(service=s, number="029 2018 0000", hsds_id=uuid.uuid4()) for s in rows]
        )
        m.Schedule.objects.bulk_create(
            [
                m.Schedule(
                    service=s,
                    freq="WEEKLY",
                    byday="MO,TU,WE,TH,FR",
                    opens_at=time(9),
                    closes_at=time(17),
                    hsds_id=uuid.uuid4(),
                )
                for s in rows
            ]
        )
        m.Language.objects.bulk_create(
            [m.Language(service=s, name="English", code="en", hsds_id=uuid.uuid4()) for s in rows]
        )
        m.ServiceAtLocation.objects.bulk_create(
            [
                m.ServiceAtLocation(
                    service=s,
                    location=locations[rng.randrange(len(locations))],
                    hsds_id=uuid.uuid4(),
                )
                for s in rows
            ]
        )
        log(f"built {min(services, start + batch)} services")


def naive_full_page(ids: list[int]) -> int:
    """The baseline: the same documents, each relation fetched per record (no preloading)."""
    from wraparound.directory.hsds.codec import Serialiser, queryset_for
    from wraparound.directory.hsds.tables import TABLES

    table = TABLES["service"]
    objs = list(queryset_for(table).filter(pk__in=ids))
    serialiser = Serialiser(lazy=True)
    serialiser.load(table, objs)
    return len([serialiser.document(table, obj) for obj in objs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as var_dir:
        context = (
            fresh_postgres_database("bench_hsds") if args.postgres else temporary_sqlite_database()
        )
        with context as url:
            setup_django(url, var_dir=Path(var_dir))
            migrate()
            build(args.services, rng)
            analyze()
            run(args, rng)


def run(args: argparse.Namespace, rng: random.Random) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    pages = max(1, args.services // 50)

    def get(params: dict[str, object]) -> None:
        response = client.get("/hsds/services", params)
        assert response.status_code == 200, response.content[:200]

    for _ in range(3):  # warm up
        get({"per_page": 50})
    samples: dict[str, list[float]] = {"list": [], "full": [], "naive_full": []}
    from wraparound.directory.selectors import HsdsFilters, hsds_service_list

    for _ in range(args.requests):
        page = rng.randrange(1, pages + 1)
        samples["list"].append(time_ms(lambda p=page: get({"per_page": 50, "page": p})))
        samples["full"].append(
            time_ms(lambda p=page: get({"per_page": 50, "page": p, "full": "true"}))
        )
        ids = list(
            hsds_service_list(HsdsFilters()).values_list("pk", flat=True)[
                (page - 1) * 50 : page * 50
            ]
        )
        samples["naive_full"].append(time_ms(lambda i=ids: naive_full_page(i)))
    stats = {name: Stats.of(values) for name, values in samples.items()}

    queries: dict[str, dict[str, int]] = {"list": {}, "full": {}}
    for form in queries:
        for per_page, page in ((10, 1), (50, 1), (50, pages), (200, 3)):
            with CaptureQueriesContext(connection) as captured:
                get(
                    {
                        "per_page": per_page,
                        "page": page,
                        "full": "true" if form == "full" else "false",
                    }
                )
            queries[form][f"per_page={per_page},page={page}"] = len(captured)
    with CaptureQueriesContext(connection) as captured:
        naive_full_page(list(hsds_service_list(HsdsFilters()).values_list("pk", flat=True)[:50]))
    naive_queries = len(captured)

    for name, s in stats.items():
        log(f"{name}: p50 {s.p50_ms:.1f} ms, p95 {s.p95_ms:.1f} ms")
    log(f"queries: {queries}; naive full page of 50: {naive_queries}")
    print_json_line(
        {
            "benchmark": "hsds_api",
            "database": vendor(),
            "services": args.services,
            "per_page": 50,
            "list_p50_ms": round(stats["list"].p50_ms, 2),
            "list_p95_ms": round(stats["list"].p95_ms, 2),
            "full_p50_ms": round(stats["full"].p50_ms, 2),
            "full_p95_ms": round(stats["full"].p95_ms, 2),
            "naive_full_p95_ms": round(stats["naive_full"].p95_ms, 2),
            "target_p95_ms": 100,
            "meets_target": stats["list"].p95_ms <= 100,
            "ratio_full_vs_naive_p95": ratio(stats["full"].p95_ms, stats["naive_full"].p95_ms),
            "queries": queries,
            "queries_constant": all(len(set(v.values())) == 1 for v in queries.values()),
            "naive_full_queries_per_page_of_50": naive_queries,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
