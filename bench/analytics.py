"""Analytics: refreshing the store for a network of 1,000,000 people and 20,000,000 service
events, and the dashboards' queries on it (issue 9).

**What**: a fresh PostgreSQL database holds one network with two years of history: areas,
40 organisations and 150 services (made with the ORM), then, with set-based SQL
(``INSERT ... SELECT ... FROM generate_series``, pseudo-random but reproducible through
``hashint8extended``), ``--people`` people (ages, sexes, areas; ~30% in population groups),
cases for ~20% of them, 2-4 completed assessments per case with the 14 matrix domain scores
and the needs they found, as many referrals as people with their transitions, enrolments
from the referrals taken up, ``--events`` service events with costs spread over the
enrolments, and ``--events``/10 crisis events (more of them before a case opened than
after). Nothing in the schema is dropped, recreated or disabled; it is vacuumed and
analysed after loading, as a database in service would be.

**Timed**: ``refresh_store()`` (the whole snapshot with its DuckDB database,
``refresh_seconds``; per table in ``refresh_steps_s``); then every dashboard query on
DuckDB as the pages run it, ``--runs`` times (p50/p95): every outcome of
``outcomes.OUTCOMES`` (over ``cohort`` = every person), ``crisis_rates``, every report of
``reports.REPORTS`` as a page request does it (a cursor opened with the filters, the
report, closed) for the whole network and narrowed five ways (a district, a population
group, a tier, an organisation, the last six months: ``report_<code>@<filter>``), and four
aggregates written here twice, for DuckDB (the database the dashboards read) and
for the live PostgreSQL tables (``--pg-runs`` times each): outputs by organisation and
month, referrals by receiving organisation and status with the median time to accept,
crisis events per kind in the year before and after a case opened, and domain scores
better or worse at the latest assessment than at the first. Each pair reports
``pg_over_duckdb`` (PostgreSQL's p50 over DuckDB's) and whether both gave the same answer.

**Targets**: ``refresh_seconds`` <= 300 and ``query_p95_ms`` (the slowest dashboard query's
p95) <= 500 ms.

    python bench/analytics.py [--people 1000000] [--events 20000000] [--quick]
                              [--runs 20] [--pg-runs 5] [--keep | --reuse]
                              [--var-dir DIR]

``--quick`` is 20,000 people and 200,000 events. ``--keep`` keeps the loaded database
(``wraparound_bench_analytics``; other runs load their own and drop it), and ``--reuse``
times it again without loading (drop it by hand afterwards); ``--var-dir`` keeps the
analytics store written there (to study the queries on it afterwards). Loading the full
size takes about 18-25 minutes on two cores (foreign keys checked, every index kept up).
Progress on stderr; one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from _common import (
    DEFAULT_POSTGRES_URL,
    Stats,
    analyze,
    fresh_postgres_database,
    log,
    machine,
    migrate,
    postgres_unavailable_reason,
    print_json_line,
    ratio,
    setup_django,
    time_ms,
)

TARGET_REFRESH_S = 300.0
TARGET_P95_MS = 500.0
PG_DATABASE = "wraparound_bench_analytics"  # kept by --keep, timed again by --reuse
# A run that keeps nothing loads its own database, so that it never drops a kept one.
PG_SCRATCH_DATABASE = "wraparound_bench_analytics_scratch"
DAYS = 730  # two years of history
WORKERS = 2  # connections loading at once
QUERY_BUDGET_S = 60.0  # at most this long timing one query (at least MIN_RUNS runs)
MIN_RUNS = 5
ZONE = "Europe/London"

ORGANISATIONS = 40
LEAD_ORGANISATIONS = 4
SERVICES = 150
USERS = 60
DISTRICTS = 6
NEIGHBOURHOODS_PER_DISTRICT = 8

# The need a low score in each domain points at (one need per domain, so at most one per
# category and assessment), and whether it is a basic (priority) need.
DOMAIN_NEEDS = {
    "housing": ("housing-instability", True),
    "income": ("financial-insecurity", True),
    "food": ("food-insecurity", True),
    "employment": ("employment-status", False),
    "health_care": ("health-care-access", True),
    "mental_health": ("mental-health", True),
    "substance_use": ("substance-use", False),
    "safety": ("interpersonal-safety", True),
    "legal": ("legal-needs", False),
    "family_social": ("social-connection", False),
    "adult_education": ("educational-attainment", False),
    "life_skills": ("digital-access", False),
    "mobility": ("transportation-insecurity", False),
    "community": ("stress", False),
}
GROUPS = (
    "homeless",
    "severe_mental_illness",
    "older_person",
    "vulnerable_family",
    "disability",
    "care_leaver",
    "substance_use",
    "domestic_abuse",
    "refugee",
    "justice_involved",
)
SECTORS = (
    "housing",
    "health",
    "mental_health",
    "substance_use",
    "legal",
    "employment",
    "education",
    "child_and_family",
    "disability",
    "income_and_benefits",
    "food",
    "justice",
)
NEEDS = tuple(need for need, _basic in DOMAIN_NEEDS.values())
EVENT_TYPES = ("one_to_one", "one_to_one", "one_to_one", "group", "advice", "advocacy",
               "practical", "treatment", "accommodation", "assessment")  # fmt: skip
NEEDS_PER_ASSESSMENT = 4  # the first needs an assessment lists
MODES = ("centre", "centre", "home_visit", "phone", "phone", "video", "community")
UNITS = ("1", "1", "1", "1", "0.5", "1.5", "2")


def _rand(expr: str, seed: int, n: int) -> str:
    """SQL: a reproducible pseudo-random integer in [0, n) from an integer expression."""
    return f"mod(hashint8extended(({expr})::bigint, {seed}) & 9223372036854775807, {n})::int"


def _pick(values: Sequence[str], expr: str, seed: int) -> str:
    """SQL: one of ``values`` (constants of this module), chosen by ``_rand``."""
    array = "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"
    return f"({array})[1 + {_rand(expr, seed, len(values))}]"


# --- The network: a few rows, with the ORM ----------------------------------------------


def _directory() -> dict[str, Any]:
    from wraparound.accounts.models import User
    from wraparound.assessments.loader import load_all
    from wraparound.assessments.models import InstrumentVersion
    from wraparound.core.crypto import encrypt_str
    from wraparound.core.models import Area, Network
    from wraparound.directory.models import Organisation, Service

    network = Network.objects.create(slug="bench-analytics", name="Bench analytics network")
    region = Area.objects.create(network=network, level="region", code="E12000009", name="South")
    neighbourhoods = []
    for d in range(DISTRICTS):
        district = Area.objects.create(
            network=network,
            parent=region,
            level="district",
            code=f"E0600{d:04d}",
            name=f"District {d + 1}",
        )
        for n in range(NEIGHBOURHOODS_PER_DISTRICT):
            neighbourhoods.append(
                Area.objects.create(
                    network=network,
                    parent=district,
                    level="neighbourhood",
                    code=f"E0200{d:02d}{n:02d}",
                    name=f"Neighbourhood {d + 1}.{n + 1}",
                )
            )
    organisations = []
    for i in range(ORGANISATIONS):
        lead = i < LEAD_ORGANISATIONS
        organisations.append(
            Organisation.objects.create(
                network=network,
                slug=f"org-{i}",
                name=f"{'One-stop' if lead else 'Partner'} organisation {i + 1}",
                sector="social_services" if lead else SECTORS[i % len(SECTORS)],
                kind="public" if i % 3 == 0 else "non_profit",
                is_lead=lead,
            )
        )
    services = []
    for i in range(SERVICES):
        organisation = organisations[LEAD_ORGANISATIONS + i % (ORGANISATIONS - LEAD_ORGANISATIONS)]
        services.append(
            Service.objects.create(
                organisation=organisation,
                name=f"Service {i + 1}",
                status="active",
                priority_class="priority" if i % 3 == 0 else "supportive",
                unit_cost=None if i % 7 == 0 else Decimal(20 + (i * 37) % 130),
            )
        )
    users = [
        User.objects.create(username=f"bench-worker-{i}", first_name="Worker", last_name=str(i))
        for i in range(USERS)
    ]
    load_all(loaded_by="bench")
    # The network's reporting configuration: two shared targets and crisis unit costs, so
    # the targets and cost-benefit reports do their full work.
    from wraparound.analytics.models import CrisisUnitCosts, SharedTarget

    SharedTarget.objects.create(
        network=network,
        code="housing-6m",
        version=1,
        title="Housing safe within 6 months",
        outcome="stable_housing_6m",
        tier="intensive",
        target_percent=Decimal(70),
    )
    SharedTarget.objects.create(
        network=network,
        code="basic-needs",
        version=1,
        title="Basic needs reach safe",
        outcome="reached_safe",
        target_percent=Decimal(60),
    )
    CrisisUnitCosts.objects.create(
        network=network,
        version=1,
        costs={
            "ed_attendance": 242,
            "hospital_admission": 3100,
            "shelter_night": 95,
            "police_custody": 480,
            "crisis_team": 370,
        },
        source="Bench figures",
    )
    ssm = InstrumentVersion.objects.get(instrument__code="self-sufficiency-matrix", is_current=True)
    return {
        "network": network.pk,
        "areas": [a.pk for a in neighbourhoods],
        "organisations": [o.pk for o in organisations],
        "leads": [o.pk for o in organisations[:LEAD_ORGANISATIONS]],
        "services": [s.pk for s in services],
        "users": [u.pk for u in users],
        "ssm": ssm.pk,
        # Referral reasons are encrypted at rest: one real token serves every row.
        "reason": encrypt_str("Bench referral: support needed"),
    }


# --- The history: millions of rows, with set-based SQL ----------------------------------


def _execute(sql: str, params: dict[str, Any] | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _scalar(sql: str, params: dict[str, Any] | None = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        return row[0] if row else None


def _in_ranges(label: str, sql: str, params: dict[str, Any], table: str, step: int) -> int:
    """Run ``sql`` (which reads ``%(start)s`` and ``%(end)s``) for consecutive id ranges of
    ``table``, on two connections at once (one per core), each range in its own
    transaction; the rows inserted."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    first = _scalar(f"SELECT min(id) FROM {table}")
    last = _scalar(f"SELECT max(id) FROM {table}")
    if first is None:
        return 0

    def batch(start: int) -> int:
        try:
            return _execute(sql, {**params, "start": start, "end": start + step})
        finally:
            connection.close()  # this thread's own connection

    total = 0
    with ThreadPoolExecutor(WORKERS) as pool:
        for n in pool.map(batch, range(first, last + 1, step)):
            total += n
            log(f"  {label}: {total:,}")
    return total


def _id_pick(name: str, expr: str, seed: int, size: int) -> str:
    """SQL: an element of the array parameter ``name`` (of ``size`` ids)."""
    return f"(%({name})s::bigint[])[1 + {_rand(expr, seed, size)}]"


def _load_people(ids: dict[str, Any], people: int) -> None:
    areas, orgs = len(ids["areas"]), len(ids["organisations"])
    # Ages: 15% children, 73% 18-64, 12% 65-90; 2% without a date of birth.
    age = (
        f"CASE WHEN {_rand('g', 2, 100)} < 15 THEN {_rand('g', 3, 18)} "
        f"WHEN {_rand('g', 2, 100)} < 88 THEN 18 + {_rand('g', 3, 47)} "
        f"ELSE 65 + {_rand('g', 3, 26)} END"
    )
    sex = (
        f"CASE WHEN {_rand('g', 4, 100)} < 50 THEN 'female' "
        f"WHEN {_rand('g', 4, 100)} < 97 THEN 'male' "
        f"WHEN {_rand('g', 4, 100)} < 98 THEN 'not_stated' ELSE 'not_known' END"
    )
    n = _execute(
        f"""
        INSERT INTO people_person (
            created_at, updated_at, given_name, family_name, preferred_name, previous_names,
            date_of_birth, date_of_birth_is_approximate, sex, gender, gender_description,
            phone, email, address_line_1, address_line_2, town, postcode,
            preferred_languages, interpreter_needed, sort_name, area_id, network_id,
            registered_by_id, address_withheld, merged_into_id)
        SELECT registered, registered, 'Given' || g, 'Family' || g, '', '[]',
               CASE WHEN {_rand("g", 1, 100)} < 2 THEN NULL
                    ELSE current_date - (({age}) * 365 + {_rand("g", 5, 365)})::int END,
               false, {sex}, '', '', '', '', '', '', '', '', '[]', false,
               'family' || g || ' given' || g,
               CASE WHEN {_rand("g", 6, 100)} < 3 THEN NULL
                    ELSE {_id_pick("areas", "g", 7, areas)} END,
               %(network)s, {_id_pick("organisations", "g", 8, orgs)}, false, NULL
        FROM generate_series(1, %(people)s) g,
             LATERAL (SELECT now() - make_interval(secs => {_rand("g", 9, 4 * 365 * 86400)})
                      AS registered) r
        """,
        {**ids, "people": people},
    )
    log(f"  people: {n:,}")
    n = _execute(
        f"""
        INSERT INTO people_personpopulationgroup (person_id, "group")
        SELECT id, {_pick(GROUPS, "id", 11)} FROM people_person
        WHERE {_rand("id", 10, 100)} < 30
        UNION ALL
        SELECT id, (ARRAY{list(GROUPS)!r})[1 + ({_rand("id", 11, 10)} + 1 + {_rand("id", 12, 9)})
                                           % 10]
        FROM people_person WHERE {_rand("id", 10, 100)} < 3
        ORDER BY 1
        """
    )
    log(f"  population groups: {n:,}")


def _load_cases(ids: dict[str, Any]) -> None:
    users, leads = len(ids["users"]), len(ids["leads"])
    status = (
        f"CASE WHEN {_rand('id', 22, 100)} < 50 THEN 'open' "
        f"WHEN {_rand('id', 22, 100)} < 70 THEN 'stepped_down' ELSE 'closed' END"
    )
    n = _execute(
        f"""
        INSERT INTO cases_case (
            created_at, updated_at, entry_route, status, opened_on, stepped_down_on,
            closed_on, closure_reason, closure_note, last_activity_at, household_id,
            key_worker_id, lead_organisation_id, network_id, person_id)
        SELECT now(), now(), 'case_management', status, opened,
               CASE WHEN status = 'stepped_down'
                      OR (status = 'closed' AND {_rand("id", 23, 2)} = 0)
                    THEN least(current_date, opened + 60 + {_rand("id", 24, 240)}) END,
               CASE WHEN status = 'closed'
                    THEN least(current_date, opened + 120 + {_rand("id", 25, 300)}) END,
               CASE WHEN status = 'closed'
                    THEN {_pick(("goals_met", "no_longer_needed", "moved_away", "disengaged"),
                                "id", 26)} ELSE '' END,
               '', now(), NULL,
               CASE WHEN {_rand("id", 27, 10)} = 0 THEN NULL
                    ELSE {_id_pick("users", "id", 28, users)} END,
               {_id_pick("leads", "id", 29, leads)}, network_id, id
        FROM (SELECT id, network_id, {status} AS status,
                     current_date - (30 + {_rand("id", 21, DAYS - 30)})::int AS opened
              FROM people_person WHERE {_rand("id", 20, 100)} < 20) p
        ORDER BY id
        """,
        ids,
    )  # fmt: skip
    log(f"  cases: {n:,}")


def _load_assessments(ids: dict[str, Any]) -> None:
    tier = _pick(("self_service", "light_touch", "supported", "intensive"), "c.id * 7 + k", 31)
    n = _execute(
        f"""
        INSERT INTO assessments_assessment (
            created_at, updated_at, status, completed_at, current_section, tier,
            computed_tier, tier_reason, assessed_by_id, network_id, organisation_id,
            person_id, instrument_version_id, tier_rules_id)
        SELECT at, at, 'completed', at, '', tier, tier, 'bench', c.key_worker_id, c.network_id,
               c.lead_organisation_id, c.person_id, %(ssm)s, NULL
        FROM cases_case c
        CROSS JOIN LATERAL generate_series(1, 2 + {_rand("c.id", 30, 3)}::int) k
        CROSS JOIN LATERAL (
            SELECT least(now(), (c.opened_on + least((k - 1) * (60 + {_rand("c.id", 32, 90)}),
                                                     current_date - c.opened_on)::int
                                 + time '08:00'
                                 + make_interval(mins => {_rand("c.id * 7 + k", 33, 720)})
                                ) AT TIME ZONE '{ZONE}') AS at,
                   {tier} AS tier
        ) t
        ORDER BY c.person_id, k
        """,
        ids,
    )  # fmt: skip
    log(f"  assessments: {n:,}")
    # Scores: a baseline per person and domain, better with time for most people (worse
    # for some), noise per assessment; 3% of domains declined.
    from wraparound.assessments.demo import CORE_DOMAINS  # the matrix's domains

    domains = "ARRAY[" + ", ".join(f"'{d}'" for d in CORE_DOMAINS) + "]"
    n = _in_ranges(
        "domain scores",
        f"""
        INSERT INTO assessments_domainscore (domain, score, answer_status, assessment_id)
        SELECT d.domain,
               CASE WHEN {_rand("a.id * 16 + d.n", 40, 100)} < 3 THEN NULL
                    ELSE greatest(1, least(5,
                        1 + {_rand("a.person_id * 16 + d.n", 41, 3)}
                        + ((a.completed_at::date - c.opened_on) / 150)
                          * (CASE WHEN {_rand("a.person_id * 16 + d.n", 42, 10)} < 6 THEN 1
                                  WHEN {_rand("a.person_id * 16 + d.n", 42, 10)} < 8 THEN 0
                                  ELSE -1 END)
                        + {_rand("a.id * 16 + d.n", 43, 3)} - 1)) END,
               CASE WHEN {_rand("a.id * 16 + d.n", 40, 100)} < 3 THEN 'declined'
                    ELSE 'answered' END,
               a.id
        FROM assessments_assessment a
        JOIN cases_case c ON c.person_id = a.person_id
        CROSS JOIN LATERAL unnest({domains}) WITH ORDINALITY d(domain, n)
        WHERE a.id >= %(start)s AND a.id < %(end)s
        ORDER BY a.id, d.n
        """,
        {},
        "assessments_assessment",
        50_000,
    )  # fmt: skip
    need = (
        "CASE d.domain "
        + " ".join(
            f"WHEN '{domain}' THEN '{need}'" for domain, (need, _basic) in DOMAIN_NEEDS.items()
        )
        + " END"
    )
    basic = ", ".join(f"'{domain}'" for domain, (_need, b) in DOMAIN_NEEDS.items() if b)
    n = _in_ranges(
        "needs",
        f"""
        INSERT INTO assessments_need (
            category, severity, priority_class, position, source, evidence, explanation,
            assessment_id, person_id)
        SELECT {need}, CASE WHEN d.score = 1 THEN 'crisis' ELSE 'high' END,
               CASE WHEN d.domain IN ({basic}) THEN 'priority' ELSE 'supportive' END,
               d.position, d.domain, d.domain || ' scored ' || d.score,
               'Basic needs first, then by score', d.assessment_id, a.person_id
        FROM (SELECT d.*, row_number() OVER (
                  PARTITION BY d.assessment_id
                  ORDER BY d.domain IN ({basic}) DESC, d.score, d.domain) AS position
              FROM assessments_domainscore d
              WHERE d.score <= 2 AND d.assessment_id >= %(start)s AND d.assessment_id < %(end)s
             ) d
        JOIN assessments_assessment a ON a.id = d.assessment_id
        WHERE d.position <= {NEEDS_PER_ASSESSMENT}
        ORDER BY d.assessment_id, d.position
        """,
        {},
        "assessments_assessment",
        100_000,
    )


# Referral statuses (weights in %) and the steps that led to each: (from, to, side, when).
REFERRAL_STATUSES = (
    ("draft", 3),
    ("requested", 8),
    ("accepted", 7),
    ("in-progress", 15),
    ("on-hold", 3),
    ("completed", 37),
    ("rejected", 10),
    ("cancelled", 7),
    ("failed", 5),
    ("entered-in-error", 5),
)
REASON_CODE = {
    "on-hold": "awaiting-person",
    "rejected": "no-capacity",
    "cancelled": "person-declined",
    "failed": "unable-to-contact",
}
SENT = (("", "draft", "referrer", "created"), ("draft", "requested", "referrer", "requested"))
STEPS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "draft": (("", "draft", "referrer", "created"),),
    "requested": SENT,
    "accepted": (*SENT, ("requested", "accepted", "receiver", "responded")),
    "in-progress": (
        *SENT,
        ("requested", "accepted", "receiver", "responded"),
        ("accepted", "in-progress", "receiver", "contacted"),
    ),
    "on-hold": (*SENT, ("requested", "on-hold", "receiver", "responded")),
    "completed": (
        *SENT,
        ("requested", "accepted", "receiver", "responded"),
        ("accepted", "in-progress", "receiver", "contacted"),
        ("in-progress", "completed", "receiver", "closed"),
    ),
    "rejected": (*SENT, ("requested", "rejected", "receiver", "responded")),
    "cancelled": (*SENT, ("requested", "cancelled", "referrer", "closed")),
    "failed": (
        *SENT,
        ("requested", "accepted", "receiver", "responded"),
        ("accepted", "failed", "receiver", "closed"),
    ),
    "entered-in-error": (*SENT, ("requested", "entered-in-error", "referrer", "closed")),
}


def _load_referrals(ids: dict[str, Any], people: int) -> None:
    services, orgs, users = len(ids["services"]), len(ids["organisations"]), len(ids["users"])
    leads = len(ids["leads"])
    cumulative, status = 0, "CASE"
    for code, weight in REFERRAL_STATUSES:
        cumulative += weight
        status += f" WHEN {_rand('g', 52, 100)} < {cumulative} THEN '{code}'"
    status += " END"
    reason = (
        "CASE x.status "
        + " ".join(f"WHEN '{s}' THEN '{c}'" for s, c in REASON_CODE.items())
        + " ELSE '' END"
    )
    answered = "('accepted', 'in-progress', 'on-hold', 'completed', 'rejected', 'failed')"
    contacted = "('in-progress', 'completed', 'failed')"
    closed = "('completed', 'rejected', 'cancelled', 'failed', 'entered-in-error')"
    first_person = _scalar("SELECT min(id) FROM people_person")
    n = _execute(
        f"""
        INSERT INTO referrals_referral (
            need, reason, urgency, notes, bundle, status, status_reason_code, status_reason,
            status_changed_at, outcome, created_at, requested_at, respond_by,
            first_contact_by, responded_at, first_contact_at, closed_at, holds_slot,
            case_id, goal_id, household_id, network_id, person_id, receiving_organisation_id,
            referred_by_id, referring_organisation_id, service_id)
        SELECT x.need, %(reason)s, x.urgency, '', '["assessments"]', x.status, {reason}, '',
               coalesce(x.closed, x.contacted, x.responded, x.created), '', x.created,
               x.requested, x.requested + interval '48 hours', x.requested + interval '5 days',
               x.responded, x.contacted, x.closed, false, NULL, NULL, NULL, %(network)s,
               x.person_id, s.organisation_id, x.referred_by, x.referring, x.service_id
        FROM (
            SELECT g, status, need, urgency, person_id, service_id, referred_by, referring,
                   created, CASE WHEN status <> 'draft' THEN created END AS requested,
                   CASE WHEN status IN {answered}
                        THEN least(now(), created + make_interval(
                            secs => 600 + {_rand("g", 53, 4 * 86400)}))
                   END AS responded,
                   CASE WHEN status IN {contacted}
                        THEN least(now(), created + make_interval(
                            secs => 5 * 86400 + {_rand("g", 54, 10 * 86400)}))
                   END AS contacted,
                   CASE WHEN status IN {closed}
                        THEN least(now(), created + make_interval(
                            secs => 16 * 86400 + {_rand("g", 55, 120 * 86400)}))
                   END AS closed
            FROM (
                SELECT g, {status} AS status, {_pick(NEEDS, "g", 56)} AS need,
                       CASE WHEN {_rand("g", 57, 100)} < 80 THEN 'routine'
                            WHEN {_rand("g", 57, 100)} < 97 THEN 'urgent' ELSE 'emergency' END
                           AS urgency,
                       %(first_person)s + {_rand("g", 58, people)} AS person_id,
                       {_id_pick("services", "g", 59, services)} AS service_id,
                       {_id_pick("users", "g", 60, users)} AS referred_by,
                       CASE WHEN {_rand("g", 61, 10)} < 7 THEN {_id_pick("leads", "g", 62, leads)}
                            ELSE {_id_pick("organisations", "g", 62, orgs)} END AS referring,
                       now() - make_interval(secs => {_rand("g", 63, DAYS * 86400)}) AS created
                FROM generate_series(1, %(referrals)s) g
            ) y
        ) x
        JOIN directory_service s ON s.id = x.service_id
        ORDER BY x.person_id, x.g
        """,
        {**ids, "first_person": first_person, "referrals": people},
    )  # fmt: skip
    log(f"  referrals: {n:,}")
    steps = ", ".join(
        f"('{status}', {i}, '{a}', '{b}', '{side}', '{when}')"
        for status, moves in STEPS.items()
        for i, (a, b, side, when) in enumerate(moves)
    )
    n = _in_ranges(
        "referral transitions",
        f"""
        INSERT INTO referrals_referraltransition (
            from_status, to_status, side, at, reason_code, reason, by_id, by_organisation_id,
            referral_id)
        SELECT st.from_status, st.to_status, st.side,
               CASE st.at_kind WHEN 'created' THEN r.created_at
                               WHEN 'requested' THEN r.requested_at
                               WHEN 'responded' THEN r.responded_at
                               WHEN 'contacted' THEN r.first_contact_at
                               ELSE r.closed_at END,
               CASE WHEN st.to_status = r.status THEN r.status_reason_code ELSE '' END, '',
               CASE WHEN st.side = 'referrer' THEN r.referred_by_id END,
               CASE WHEN st.side = 'referrer' THEN r.referring_organisation_id
                    ELSE r.receiving_organisation_id END,
               r.id
        FROM referrals_referral r
        JOIN (VALUES {steps}) st(status, n, from_status, to_status, side, at_kind)
          ON st.status = r.status
        WHERE r.id >= %(start)s AND r.id < %(end)s
        ORDER BY r.id, st.n
        """,
        {},
        "referrals_referral",
        200_000,
    )


def _load_enrolments(ids: dict[str, Any]) -> None:
    users = len(ids["users"])
    n = _execute(
        f"""
        INSERT INTO enrolments_enrolment (
            status, started_on, ended_on, end_reason, end_note, created_at, enrolled_by_id,
            network_id, organisation_id, person_id, referral_id, service_id)
        SELECT CASE WHEN active THEN 'active' ELSE 'ended' END, started,
               CASE WHEN active THEN NULL
                    WHEN status = 'completed' THEN greatest(started, closed)
                    ELSE least(current_date, started + 30 + {_rand("id", 70, 120)}::int) END,
               CASE WHEN active THEN ''
                    WHEN status = 'completed'
                    THEN {_pick(("completed", "goals_met"), "id", 71)}
                    ELSE 'disengaged' END,
               '', first_contact_at, {_id_pick("users", "id", 72, users)}, network_id,
               receiving_organisation_id, person_id, id, service_id
        FROM (
            SELECT r.*, (r.first_contact_at AT TIME ZONE '{ZONE}')::date AS started,
                   (r.closed_at AT TIME ZONE '{ZONE}')::date AS closed,
                   r.status = 'in-progress'
                   AND row_number() OVER (PARTITION BY r.person_id, r.service_id
                                          ORDER BY r.status = 'in-progress' DESC,
                                                   r.requested_at DESC) = 1 AS active
            FROM referrals_referral r
            WHERE r.status IN ('in-progress', 'completed')
        ) e
        ORDER BY person_id, id
        """,
        ids,
    )  # fmt: skip
    log(f"  enrolments: {n:,}")


def _load_service_events(ids: dict[str, Any], events: int) -> None:
    users = len(ids["users"])
    enrolments = _scalar("SELECT count(*) FROM enrolments_enrolment")
    mean = max(events / enrolments, 1.0)
    # 1 + floor(u * (2 mean - 1)) events per enrolment, u uniform in [0, 1): ``mean`` on average.
    count = f"1 + floor({_rand('e.id', 80, 1_000_000)} * {2 * mean - 1:.6f} / 1e6)::int"
    _in_ranges(
        "service events",
        f"""
            INSERT INTO enrolments_serviceevent (
                "on", event_type, units, duration_minutes, mode, unit_cost, cost, note,
                recorded_at, delivered_by_id, enrolment_id, organisation_id, person_id,
                recorded_by_id, service_id)
            SELECT day, ev.event_type, ev.units,
                   CASE WHEN {_rand("ev.k", 83, 10)} < 7 THEN 15 * (1 + {_rand("ev.k", 84, 8)})
                   END,
                   ev.mode, s.unit_cost, round(ev.units * s.unit_cost, 2), '',
                   (day + time '17:00') AT TIME ZONE '{ZONE}', ev.worker, e.id,
                   e.organisation_id, e.person_id, ev.worker, e.service_id
            FROM enrolments_enrolment e
            JOIN directory_service s ON s.id = e.service_id
            CROSS JOIN LATERAL generate_series(1, {count}) i
            CROSS JOIN LATERAL (
                SELECT e.id * 100000 + i AS k,
                       {_pick(EVENT_TYPES, "e.id * 100000 + i", 85)} AS event_type,
                       {_pick(MODES, "e.id * 100000 + i", 86)} AS mode,
                       {_pick(UNITS, "e.id * 100000 + i", 87)}::numeric AS units,
                       {_id_pick("users", "e.id * 100000 + i", 88, users)} AS worker,
                       e.started_on + {_rand("e.id * 100000 + i", 89,
                           "(coalesce(e.ended_on, current_date) - e.started_on + 1)")}::int
                           AS day
            ) ev
            WHERE e.id >= %(start)s AND e.id < %(end)s
            ORDER BY e.id, i
            """,
        ids,
        "enrolments_enrolment",
        max(int(500_000 / mean), 1),
    )  # fmt: skip


def _load_crisis_events(ids: dict[str, Any], crisis: int) -> None:
    """Case-managed people carry half the events, 60% in the year before their case opened;
    a quarter of everyone else carries the other half, over the two years."""
    orgs = len(ids["organisations"])
    cases = _scalar("SELECT count(*) FROM cases_case")
    others = _scalar("SELECT count(*) FROM people_person") - cases
    case_spread = max(int(2 * crisis * 0.5 / max(cases, 1)), 1)
    other_spread = max(int(2 * crisis * 0.5 / max(others * 0.25, 1)) - 1, 1)
    kinds = (("ed_attendance", "health", 35), ("hospital_admission", "health", 10),
             ("shelter_night", "plans_referrals", 30), ("police_custody", "legal", 10),
             ("crisis_team", "mental_health", 15))  # fmt: skip
    kind, cumulative = "CASE", 0
    for code, _category, weight in kinds:
        cumulative += weight
        kind += f" WHEN {_rand('x.k', 91, 100)} < {cumulative} THEN '{code}'"
    kind += " END"
    category = "CASE y.kind " + " ".join(f"WHEN '{k}' THEN '{c}'" for k, c, _w in kinds) + " END"
    _in_ranges(
        "crisis events",
        f"""
        INSERT INTO crisis_crisisevent (
            kind, category, occurred_at, detail, source, local_id, recorded_at, network_id,
            person_id, recorded_by_id, source_organisation_id)
        SELECT y.kind, {category}, y.at, '',
               CASE WHEN {_rand("y.k", 92, 10)} < 7 THEN 'import' ELSE 'staff' END, '',
               y.at + interval '1 hour', %(network)s, y.person_id, NULL,
               {_id_pick("organisations", "y.k", 93, orgs)}
        FROM (
            SELECT x.k, x.person_id, {kind} AS kind,
                   CASE WHEN x.opened IS NULL
                        THEN now() - make_interval(secs => {_rand("x.k", 94, DAYS * 86400)})
                        WHEN {_rand("x.k", 95, 10)} < 6
                        THEN (x.opened - 365)
                             + make_interval(secs => {_rand("x.k", 96, 365 * 86400)})
                        ELSE x.opened + make_interval(secs => {_rand("x.k", 97,
                                 "greatest(current_date - x.opened, 1) * 86400")})
                   END AS at
            FROM (
                SELECT p.id * 1000 + i AS k, p.id AS person_id, c.opened_on AS opened
                FROM people_person p
                LEFT JOIN cases_case c ON c.person_id = p.id
                CROSS JOIN LATERAL generate_series(
                    1, CASE WHEN c.id IS NOT NULL THEN {_rand("p.id", 98, case_spread + 1)}::int
                            WHEN {_rand("p.id", 99, 4)} = 0
                            THEN 1 + {_rand("p.id", 98, other_spread)}::int
                            ELSE 0 END) i
                WHERE p.id >= %(start)s AND p.id < %(end)s
            ) x
        ) y
        WHERE y.at <= now()
        ORDER BY y.person_id, y.at
        """,
        ids,
        "people_person",
        100_000,
    )  # fmt: skip


def load(people: int, events: int) -> dict[str, Any]:
    ids = _directory()
    started = time.perf_counter()
    _load_people(ids, people)
    _load_cases(ids)
    _load_assessments(ids)
    _load_referrals(ids, people)
    _load_enrolments(ids)
    _load_service_events(ids, events)
    _load_crisis_events(ids, events // 10)
    loaded = time.perf_counter() - started
    log("vacuum analyze")
    analyze()
    return {"load_seconds": round(loaded, 1), "analyze_seconds": round(
        time.perf_counter() - started - loaded, 1)}  # fmt: skip


# --- The queries ------------------------------------------------------------------------

# Each pair: the same aggregate on the store (DuckDB) and on the live tables (PostgreSQL).
PAIRS: dict[str, tuple[str, str]] = {
    "outputs_by_organisation_month": (
        """SELECT organisation_id, date_trunc('month', "on")::DATE AS month, count(*) AS events,
                  sum(units) AS units, sum(cost) AS cost
           FROM service_events GROUP BY ALL ORDER BY 1, 2""",
        """SELECT organisation_id, date_trunc('month', "on")::date AS month, count(*) AS events,
                  sum(units) AS units, sum(cost) AS cost
           FROM enrolments_serviceevent GROUP BY 1, 2 ORDER BY 1, 2""",
    ),
    "referrals_by_organisation_status": (
        """SELECT receiving_organisation_id, status, count(*) AS referrals,
                  median(epoch_us(accepted_at) - epoch_us(requested_at)) / 3600e6
                      AS median_hours_to_accept
           FROM referrals GROUP BY ALL ORDER BY 1, 2""",
        """SELECT r.receiving_organisation_id, r.status, count(*) AS referrals,
                  percentile_cont(0.5) WITHIN GROUP (
                      ORDER BY extract(epoch FROM a.at - r.requested_at)) / 3600.0
                      AS median_hours_to_accept
           FROM referrals_referral r
           LEFT JOIN LATERAL (
               SELECT t.at FROM referrals_referraltransition t
               WHERE t.referral_id = r.id AND t.to_status = 'accepted'
               ORDER BY t.at DESC, t.id DESC LIMIT 1) a ON true
           WHERE r.status NOT IN ('draft', 'entered-in-error')
           GROUP BY 1, 2 ORDER BY 1, 2""",
    ),
    "crisis_before_after_entry": (
        """SELECT e.kind,
                  count(*) FILTER (WHERE e.occurred_on < p.case_opened_on
                                     AND e.occurred_on >= p.case_opened_on - INTERVAL 365 DAY)
                      AS before,
                  count(*) FILTER (WHERE e.occurred_on >= p.case_opened_on
                                     AND e.occurred_on < p.case_opened_on + INTERVAL 365 DAY)
                      AS after
           FROM crisis_events e JOIN people p USING (person_key)
           WHERE p.case_managed GROUP BY e.kind ORDER BY 1""",
        f"""WITH entry AS (
               SELECT person_id, min(opened_on) AS entry FROM cases_case
               WHERE key_worker_id IS NOT NULL GROUP BY person_id)
           SELECT c.kind,
                  count(*) FILTER (WHERE x.day < e.entry AND x.day >= e.entry - 365) AS before,
                  count(*) FILTER (WHERE x.day >= e.entry AND x.day < e.entry + 365) AS after
           FROM crisis_crisisevent c JOIN entry e USING (person_id)
           CROSS JOIN LATERAL (SELECT (c.occurred_at AT TIME ZONE '{ZONE}')::date AS day) x
           GROUP BY c.kind ORDER BY 1""",
    ),
    "domain_scores_first_vs_latest": (
        """SELECT count(*) FILTER (WHERE latest_score > first_score) AS improved,
                  count(*) FILTER (WHERE latest_score < first_score) AS worse, count(*) AS pairs
           FROM score_pairs""",
        f"""SELECT count(*) FILTER (WHERE latest > first) AS improved,
                  count(*) FILTER (WHERE latest < first) AS worse, count(*) AS pairs
           FROM (SELECT a.person_id, d.domain,
                        (array_agg(d.score ORDER BY (a.completed_at AT TIME ZONE '{ZONE}')::date,
                                   a.id))[1] AS first,
                        (array_agg(d.score ORDER BY (a.completed_at AT TIME ZONE '{ZONE}')::date
                                   DESC, a.id DESC))[1] AS latest
                 FROM assessments_domainscore d
                 JOIN assessments_assessment a ON a.id = d.assessment_id
                 WHERE a.status = 'completed' AND d.score IS NOT NULL
                 GROUP BY a.person_id, d.domain HAVING count(*) >= 2) s""",
    ),
}


def _same(left: list[tuple[Any, ...]], right: list[tuple[Any, ...]]) -> bool:
    """Both answers equal, numbers to 6 significant digits (sums of doubles vs numerics)."""

    def norm(value: Any) -> Any:
        if isinstance(value, (float, Decimal)):
            return float(f"{float(value):.6g}")
        if hasattr(value, "isoformat"):
            return value.isoformat()[:10]
        return value

    def rows(answer: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return sorted((tuple(map(norm, row)) for row in answer), key=repr)

    return rows(left) == rows(right)


def _time(fn: Callable[[], object], runs: int, budget_s: float = QUERY_BUDGET_S) -> Stats:
    """``runs`` timings of ``fn``, fewer (at least ``MIN_RUNS``) when they would take more
    than ``budget_s``: a query far over its target is not run twenty times."""
    samples: list[float] = []
    while len(samples) < runs:
        samples.append(time_ms(fn))
        if len(samples) >= MIN_RUNS and sum(samples) > budget_s * 1000:
            break
    return Stats.of(samples)


def queries(runs: int, pg_runs: int) -> dict[str, Any]:
    from django.db import connection

    from wraparound.analytics.filters import Filters, open_filtered
    from wraparound.analytics.outcomes import OUTCOMES, crisis_rates
    from wraparound.core.models import Network

    timings: dict[str, Stats] = {}
    errors: dict[str, str] = {}
    # The whole network, as a commissioner first opens a dashboard (its targets and unit
    # costs apply).
    network_filters = Filters(network_id=Network.objects.get(slug="bench-analytics").pk)

    # The same dashboards as a commissioner narrows them: a place, a population group, a
    # tier, an organisation, the last six months.
    from datetime import timedelta

    from wraparound.core.models import Area
    from wraparound.directory.models import Organisation

    network = network_filters.network_id
    district = Area.objects.filter(network_id=network, level="district").order_by("code").first()
    lead = Organisation.objects.filter(network_id=network).order_by("pk").first()
    views = {
        "": network_filters,
        "district": replace(network_filters, area=district.code if district else ""),
        "group": replace(network_filters, group="homeless"),
        "tier": replace(network_filters, tier="intensive"),
        "organisation": replace(network_filters, organisation=lead.pk if lead else None),
        "six_months": replace(network_filters, start=network_filters.as_of - timedelta(days=182)),
    }

    def fresh() -> Any:
        """A new connection as the dashboards open one: the filtered views, no filter."""
        return open_filtered(network_filters)

    for outcome in OUTCOMES:
        db = fresh()
        timings[f"outcome_{outcome.code}"] = _time(lambda db=db, o=outcome: o.count(db), runs)
        log(f"  outcome {outcome.code}: p95 {timings[f'outcome_{outcome.code}'].p95_ms} ms")
    db = fresh()
    timings["crisis_rates"] = _time(lambda db=db: crisis_rates(db), runs)
    log(f"  crisis_rates: p95 {timings['crisis_rates'].p95_ms} ms")

    try:
        from wraparound.analytics.reports import REPORTS
    except ImportError as exc:
        log(f"  no reports to time: {exc}")
        REPORTS = ()

    def request(report: Any, filters: Any) -> None:
        """What a dashboard page does: a cursor with the filters applied, the report, close."""
        db = open_filtered(filters)
        try:
            report.run(db, filters)
        finally:
            db.close()

    for report in REPORTS:
        for label, filters in views.items():
            name = f"report_{report.code}" + (f"@{label}" if label else "")
            try:
                timings[name] = _time(lambda r=report, f=filters: request(r, f), runs)
                log(f"  report {report.code} {label}: p95 {timings[name].p95_ms} ms")
            except Exception as exc:  # a report that fails is reported, the others still run
                errors[name] = f"{type(exc).__name__}: {exc}"[:300]
                log(f"  report {name} failed: {errors[name]}")

    comparisons: dict[str, Any] = {}
    for name, (duck_sql, pg_sql) in PAIRS.items():
        db = fresh()  # the store as the dashboards read it
        duck_answer = db.execute(duck_sql).fetchall()
        duck = _time(lambda s=duck_sql, db=db: db.execute(s).fetchall(), runs)
        timings[f"aggregate_{name}"] = duck

        def on_pg(sql: str = pg_sql) -> list[tuple[Any, ...]]:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())

        pg_answer = on_pg()
        pg = _time(on_pg, pg_runs)
        comparisons[name] = {
            "duckdb_p50_ms": duck.p50_ms,
            "duckdb_p95_ms": duck.p95_ms,
            "postgres_p50_ms": pg.p50_ms,
            "postgres_p95_ms": pg.p95_ms,
            "pg_over_duckdb": ratio(pg.p50_ms, duck.p50_ms),
            "same_answer": _same(duck_answer, pg_answer),
            "rows": len(duck_answer),
        }
        log(f"  {name}: DuckDB p50 {duck.p50_ms} ms, PostgreSQL p50 {pg.p50_ms} ms, "
            f"same answer: {comparisons[name]['same_answer']}")  # fmt: skip
    return {"timings": timings, "errors": errors, "comparisons": comparisons}


def _timed_refresh() -> tuple[Any, dict[str, float]]:
    """``refresh_store()``, with the seconds each step took: a Python-path table written,
    an extract made (``<table>.extract``) or converted by DuckDB (``<table>.convert``), the
    key map (``person_keys``). The bench wraps those functions; the refresh is unchanged."""
    from wraparound.analytics import store

    steps: dict[str, float] = {}

    def timed(name: str, label: Callable[..., str]) -> Callable[..., Any]:
        original = getattr(store, name)

        def wrapper(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args)
            finally:
                steps[label(*args)] = round(time.perf_counter() - started, 1)

        return wrapper

    wrapped = {
        "_write_table": lambda table, *_: table.name,
        "_extract_table": lambda table, *_: f"{table.name}.extract",
        "_convert_table": lambda db, table, *_: f"{table.name}.convert",
        "_person_keys": lambda *_: "person_keys",
        "build_database": lambda *_: "database",
    }
    originals = {name: getattr(store, name) for name in wrapped}
    for name, label in wrapped.items():
        setattr(store, name, timed(name, label))
    try:
        result = store.refresh_store()
    finally:
        for name, original in originals.items():
            setattr(store, name, original)
    return result, steps


@contextmanager
def _database(keep: bool, reuse: bool) -> Iterator[str]:
    """The benchmark's database: fresh and dropped afterwards; with ``keep``, fresh and
    kept (to time again with ``reuse``, which skips loading)."""
    if not (keep or reuse):
        with fresh_postgres_database(PG_SCRATCH_DATABASE) as url:
            yield url
        return
    admin = os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    parts = urlsplit(admin)
    if not reuse:
        import psycopg

        with psycopg.connect(
            admin.replace("postgres://", "postgresql://", 1), autocommit=True
        ) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    yield urlunsplit((parts.scheme, parts.netloc, f"/{PG_DATABASE}", parts.query, parts.fragment))
    log(f"kept the database {PG_DATABASE} (drop it when done)")


def run(
    people: int,
    events: int,
    runs: int,
    pg_runs: int,
    *,
    keep: bool = False,
    reuse: bool = False,
    var_dir: Path | None = None,
) -> dict[str, Any]:
    database = _database(keep, reuse)
    with database as url, tempfile.TemporaryDirectory(prefix="bench-analytics-") as scratch:
        setup_django(url, var_dir=var_dir or Path(scratch))
        from django.db import connections

        summary: dict[str, Any] = {}
        log("migrating")
        migrate()  # with --reuse too: the code timed may have new tables since
        if not reuse:
            log(f"loading {people:,} people and {events:,} service events")
            summary = load(people, events)
            log(f"loaded in {summary['load_seconds']} s (+ {summary['analyze_seconds']} s)")

        log("refresh_store()")
        result, per_table = _timed_refresh()
        snapshot_mb = sum(p.stat().st_size for p in result.snapshot.iterdir()) / 1e6
        log(f"refreshed in {result.seconds:.1f} s: {per_table}")

        log(f"dashboard queries on DuckDB ({runs} runs each), aggregates on PostgreSQL "
            f"({pg_runs} runs each)")  # fmt: skip
        measured = queries(runs, pg_runs)
        timings: dict[str, Stats] = measured["timings"]
        slowest = max(timings, key=lambda k: timings[k].p95_ms)
        summary.update(
            {
                "people": result.rows.get("people"),
                "service_events": result.rows.get("service_events"),
                "rows": result.rows,
                "refresh_seconds": round(result.seconds, 1),
                "refresh_steps_s": per_table,
                "snapshot_mb": round(snapshot_mb, 1),
                "query_p95_ms": timings[slowest].p95_ms,
                "slowest_query": slowest,
                "p95_ms": {k: v.p95_ms for k, v in timings.items()},
                "p50_ms": {k: v.p50_ms for k, v in timings.items()},
                "postgres": measured["comparisons"],
                "pg_over_duckdb": {
                    k: v["pg_over_duckdb"] for k, v in measured["comparisons"].items()
                },
                "same_answers": all(v["same_answer"] for v in measured["comparisons"].values()),
                "query_errors": measured["errors"],
            }
        )
        connections.close_all()
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 people, 200,000 events")
    parser.add_argument("--runs", type=int, default=20, help="runs of each DuckDB query")
    parser.add_argument("--pg-runs", type=int, default=5, help="runs of each PostgreSQL query")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time the kept database again")
    parser.add_argument(
        "--var-dir", type=Path, help="keep the analytics store here (default: a temporary one)"
    )
    args = parser.parse_args(argv)
    people, events = (20_000, 200_000) if args.quick else (args.people, args.events)
    if reason := postgres_unavailable_reason():
        log(f"skipping: {reason}")
        print_json_line({"benchmark": "analytics", "skipped": reason, "met": None})
        return 0
    result = run(
        people,
        events,
        max(args.runs, 20),
        max(args.pg_runs, 5),
        keep=args.keep,
        reuse=args.reuse,
        var_dir=args.var_dir,
    )
    summary = {
        "benchmark": "analytics",
        "machine": machine(),
        "target_refresh_seconds": TARGET_REFRESH_S,
        "target_query_p95_ms": TARGET_P95_MS,
        **result,
    }
    summary["met"] = (
        result["refresh_seconds"] <= TARGET_REFRESH_S
        and result["query_p95_ms"] <= TARGET_P95_MS
        and not result["query_errors"]
    )
    print_json_line(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
