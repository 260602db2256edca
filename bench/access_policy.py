"""The access policy's cost: one decision, and a list page of 50 people with and without it.

Measured on a network of 30,000 people (most with cases, some with consents, a few legal
bases and break-glass accesses), for two actors: a one-stop key worker, who sees most people
through cases, and a housing association practitioner, who sees a few through registrations,
the association's own cases and consents.

- **decision, warm**: ``consent.policy.decide(actor=, person=, category=)`` once the actor's
  grounds for the person are loaded (cached on the actor: the same ``Actor`` deciding several
  categories of people it has loaded, as a record page or a list does). Every category, for
  people the actor may and may not see. Target: p95 <= 0.2 ms.
- **decision, cold**: the first decision for a person in a request (a new ``Actor``), which
  loads the grounds: a few queries.
- **list page**: ``people.selectors.person_search`` as the search page and the API list use it:
  ``people_for_lists``, a ``CappedPaginator`` of 50 (as the page), the count and the first
  page turned into
  ``Person`` objects (with their active cases). **Without the policy** is the very same call
  with ``visible_people`` swapped for ``Person.objects.all()``: the same name tokens, ordering,
  page and count. **With the policy and the audit** adds ``audit_list_reads`` of the 50 rows, as
  the views do. Target: with the policy <= 1.2 x without.

The headline ``list_overhead_ratio`` is the policy filter's: the median page time with the
policy over the median without, for the worst search of the mix (worst actor, worst backend).
The audit write is reported beside it (``list_overhead_ratio_with_audit``) but is not part of
that ratio: it is the audit's cost, not the policy's; it is paid per row shown, whatever
decided that the row may be shown, and it has its own budget (ADR 0007).

Each backend runs in its own child process (the settings read DATABASE_URL at import), on a
database built for the run: a temporary SQLite file, and a fresh PostgreSQL database
``bench_access_policy`` (``BENCH_POSTGRES_URL``, default postgres@127.0.0.1:5432), dropped
afterwards. PostgreSQL is skipped, with the reason, when it cannot be reached.

    python bench/access_policy.py [--people 30000] [--iterations 400]
                                  [--backend sqlite|postgres|both] [--explain]

Progress goes to stderr; a table, then one JSON object as the last line, to stdout. Headline
keys are the worse of the backends; per-backend values are prefixed ``sqlite_`` and
``postgres_``. The exit status is 0 even when a target is missed (``met`` says so).
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _common import (
    Stats,
    analyze,
    capture_sql,
    explain,
    fresh_postgres_database,
    log,
    machine,
    migrate,
    postgres_unavailable_reason,
    print_json_line,
    ratio,
    run_child,
    run_sql,
    setup_django,
    temporary_sqlite_database,
    time_ms,
    vendor,
)

if TYPE_CHECKING:
    from django.db.models import Q, QuerySet

    from wraparound.accounts.actor import Actor
    from wraparound.accounts.models import User
    from wraparound.people.models import Person

BACKENDS = ("sqlite", "postgres")
PG_DATABASE = "bench_access_policy"
TARGET_DECISION_P95_MS = 0.2
TARGET_LIST_OVERHEAD_RATIO = 1.2
PAGE_SIZE = 50
DEFAULT_PEOPLE = 30_000
# Rounds over the search mix: each (actor, search) page gets iterations / 5 samples per arm.
# 20 samples per page (100 rounds) left the median ratio of one unchanged page swinging
# between 1.12 and 1.28 from run to run on a shared two-core machine; 80 hold it steady.
DEFAULT_ITERATIONS = 400
SEED = 20_251_123
WARMUP_ROUNDS = 2
DECISION_PEOPLE = 200  # people per actor the decisions are timed on
WARM_ROUNDS = 3  # passes over those people x every category
ACTORS = ("keyworker", "partner")
CHECKED_ROWS = 20  # rows per page whose listing is checked against decide()

# (label, name typed): the list pages of the mix. "" is the API's list with no query.
SEARCHES: tuple[tuple[str, str], ...] = (
    ("everyone (no query)", ""),
    ("prefix 'jo'", "jo"),
    ("prefix 'smi'", "smi"),
    ("prefix 'will'", "will"),
    ("two words 'sa jo'", "sa jo"),
)


# --- Data ---------------------------------------------------------------------------------


@dataclass
class Loaded:
    users: dict[str, User]
    rows: dict[str, int]


def _name_pools(rng: random.Random) -> tuple[list[str], list[str], list[float]]:
    """en_GB given names (uniform) and family names with their real frequencies."""
    from faker import Faker

    provider = next(
        p for p in Faker("en_GB").providers if p.__module__.startswith("faker.providers.person")
    )
    given = sorted(set(provider.first_names_female) | set(provider.first_names_male))
    rng.shuffle(given)
    family_weights: dict[str, float] = dict(provider.last_names)
    family = list(family_weights)
    return given, family, [family_weights[n] for n in family]


def load(n_people: int, rng: random.Random) -> Loaded:
    """Organisations, staff, people with name tokens, cases, consents, legal bases and
    break-glass accesses, with bulk inserts (the services would take far too long)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from wraparound.accounts.models import Membership, Role, User
    from wraparound.cases.models import Case, CaseStatus, EntryRoute
    from wraparound.consent.categories import (
        NO_REDISCLOSURE,
        STANDARD_CATEGORIES,
        DataCategory,
    )
    from wraparound.consent.models import (
        BreakGlass,
        BreakGlassReason,
        Consent,
        ConsentCategory,
        ConsentWithdrawal,
        Evidence,
        LegalBasis,
        LegalBasisKind,
        Purpose,
        RecipientKind,
    )
    from wraparound.core.models import Network
    from wraparound.directory.models import Organisation, Sector
    from wraparound.people.models import Person, PersonNameToken
    from wraparound.people.validation import name_tokens, sort_name

    now = timezone.now()
    today = timezone.localdate()
    given_pool, family_pool, family_weights = _name_pools(rng)

    with transaction.atomic():
        network = Network.objects.create(slug="valleys", name="Valleys Wraparound Network")
        org_defs = [
            ("one-stop", "Valleys One-Stop Centre", Sector.SOCIAL_SERVICES, True),
            ("housing", "Glyn Taf Housing Association", Sector.HOUSING, False),
            ("mental-health", "Community Mental Health Team", Sector.MENTAL_HEALTH, False),
            ("drug-alcohol", "Valleys Drug and Alcohol Service", Sector.SUBSTANCE_USE, False),
            ("law-clinic", "Community Law Clinic", Sector.LEGAL, False),
            ("jobs", "Working Valleys", Sector.EMPLOYMENT, False),
        ]
        orgs = {
            slug: Organisation.objects.create(
                network=network, slug=slug, name=name, sector=sector, is_lead=lead,
                kind="public" if lead else "non_profit",
            )
            for slug, name, sector, lead in org_defs
        }  # fmt: skip
        one_stop, housing = orgs["one-stop"], orgs["housing"]
        partners = [o for slug, o in orgs.items() if slug != "one-stop"]
        no_password = make_password(None)

        def staff(username: str, org: Organisation, role: str) -> User:
            user = User.objects.create(username=username, password=no_password)
            Membership.objects.create(user=user, organisation=org, role=role)
            return user

        keyworker = staff("keyworker", one_stop, Role.KEY_WORKER)
        partner = staff("partner", housing, Role.PRACTITIONER)
        manager = staff("manager", one_stop, Role.MANAGER)
        colleagues = [staff(f"kw{i}", one_stop, Role.KEY_WORKER) for i in range(40)]
        partner_staff = {
            o.slug: [staff(f"{o.slug}{i}", o, Role.KEY_WORKER) for i in range(5)] for o in partners
        }

        givens = rng.choices(given_pool, k=n_people)
        families = rng.choices(family_pool, weights=family_weights, k=n_people)
        registrars = rng.choices([one_stop, *partners], weights=[65, 12, 8, 5, 4, 6], k=n_people)
        people = [
            Person(
                network=network,
                given_name=givens[i],
                family_name=families[i],
                date_of_birth=today - timedelta(days=rng.randrange(18 * 365, 90 * 365)),
                registered_by=registrars[i],
                sort_name=sort_name(givens[i], families[i]),
            )
            for i in range(n_people)
        ]
        log(f"inserting {n_people:,} people")
        Person.objects.bulk_create(people, batch_size=2000)
        tokens = [
            PersonNameToken(person_id=p.pk, token=t)
            for p in people
            for t in name_tokens(p.given_name, p.family_name)
        ]
        PersonNameToken.objects.bulk_create(tokens, batch_size=5000)

        cases: list[Case] = []
        caseload = set(rng.sample(range(n_people), k=min(50, n_people)))

        def case(person: Person, lead: Organisation, worker: User | None) -> Case:
            opened = today - timedelta(days=rng.randrange(1, 3 * 365))
            status = rng.choices(
                [CaseStatus.OPEN, CaseStatus.STEPPED_DOWN, CaseStatus.CLOSED], [70, 15, 15]
            )[0]
            return Case(
                network=network, person=person, lead_organisation=lead, key_worker=worker,
                entry_route=EntryRoute.CASE_MANAGEMENT if lead == one_stop
                else EntryRoute.LEAD_AGENCY,
                status=status, opened_on=opened,
                closed_on=today if status == CaseStatus.CLOSED else None,
                closure_reason="goals_met" if status == CaseStatus.CLOSED else "",
                last_activity_at=datetime.combine(opened, datetime.min.time(), tzinfo=UTC),
            )  # fmt: skip

        for i, p in enumerate(people):
            if rng.random() < 0.8:
                worker = keyworker if i in caseload else rng.choice([*colleagues, None])
                cases.append(case(p, one_stop, worker))
            for org, share in ((housing, 0.1), (orgs["mental-health"], 0.05),
                               (orgs["drug-alcohol"], 0.03)):  # fmt: skip
                if rng.random() < share:
                    cases.append(case(p, org, rng.choice(partner_staff[org.slug])))
        log(f"inserting {len(cases):,} cases")
        Case.objects.bulk_create(cases, batch_size=5000)

        # Consents: 8% of people, some to a sector or the whole network; some expired,
        # some withdrawn, some for a referral rather than care coordination.
        consents: list[Consent] = []
        for p in rng.sample(people, k=n_people * 8 // 100):
            roll = rng.random()
            kind = (
                RecipientKind.ORGANISATION if roll < 0.7
                else RecipientKind.SECTOR if roll < 0.9
                else RecipientKind.NETWORK
            )  # fmt: skip
            start = now - timedelta(days=rng.randrange(1, 700))
            ends = rng.random()
            until = (
                None if ends < 0.6
                else start + timedelta(days=365) if ends < 0.85
                else start + timedelta(days=rng.randrange(1, max(2, (now - start).days)))
            )  # fmt: skip
            referral = rng.random() < 0.1
            consents.append(
                Consent(
                    network=network, person=p, recipient_kind=kind,
                    recipient_organisation=rng.choice(partners[:3])
                    if kind == RecipientKind.ORGANISATION else None,
                    recipient_sector=rng.choice([Sector.HOUSING, Sector.MENTAL_HEALTH])
                    if kind == RecipientKind.SECTOR else "",
                    purpose=Purpose.REFERRAL if referral else Purpose.CARE_COORDINATION,
                    purpose_detail="Referral to the tenancy support service" if referral else "",
                    valid_from=start, valid_until=until, evidence=Evidence.VERBAL,
                    recorded_by=keyworker, recorded_by_organisation=one_stop, recorded_at=start,
                )
            )  # fmt: skip
        log(f"inserting {len(consents):,} consents")
        Consent.objects.bulk_create(consents, batch_size=2000)
        categories: list[ConsentCategory] = []
        sensitive = [c for c in DataCategory if c not in STANDARD_CATEGORIES]
        for c in consents:
            chosen = {DataCategory.IDENTITY, *rng.sample(STANDARD_CATEGORIES[1:], k=3)}
            if rng.random() < 0.3:
                chosen.add(rng.choice(sensitive))
            if c.recipient_kind != RecipientKind.ORGANISATION:
                chosen -= NO_REDISCLOSURE
            categories += [ConsentCategory(consent=c, category=cat) for cat in sorted(chosen)]
        ConsentCategory.objects.bulk_create(categories, batch_size=5000)
        withdrawals = [
            ConsentWithdrawal(consent=c, withdrawn_by=keyworker, withdrawn_at=now)
            for c in rng.sample(consents, k=len(consents) // 20)
        ]
        ConsentWithdrawal.objects.bulk_create(withdrawals)

        bases = [
            LegalBasis(
                network=network, person=p, kind=LegalBasisKind.SAFEGUARDING,
                recipient_organisation=rng.choice(partners[:2]),
                categories=[DataCategory.IDENTITY, DataCategory.SAFETY],
                reason="Risk of harm reported by a neighbour; shared with the association.",
                valid_from=now - timedelta(days=30),
                valid_until=now + timedelta(days=rng.choice([-10, 20, 60])),
                recorded_by=manager,
            )
            for p in rng.sample(people, k=max(1, n_people * 3 // 1000))
        ]  # fmt: skip
        LegalBasis.objects.bulk_create(bases)

        workers = [partner, *(u for staff_list in partner_staff.values() for u in staff_list)]
        glasses = []
        for p in rng.sample(people, k=max(10, n_people // 200)):
            user = rng.choice(workers)
            started = now - timedelta(minutes=rng.choice([10, 600, 6000, 60_000]))
            glasses.append(
                BreakGlass(
                    network=network, user=user, organisation=user.memberships.get().organisation,
                    person=p, reason=BreakGlassReason.RISK_TO_LIFE,
                    justification="Could not reach the key worker; risk to life reported.",
                    started_at=started, expires_at=started + timedelta(minutes=60),
                )
            )  # fmt: skip
        BreakGlass.objects.bulk_create(glasses)

    # Bulk inserts bypass the services, so the access-grant read model is rebuilt from the
    # sources once, as `wraparound rebuild_access_grants` does after a bulk load.
    from wraparound.consent.grants import rebuild_all_access_grants
    from wraparound.consent.models import AccessGrant

    rebuild_all_access_grants()
    rows = {
        "people": n_people,
        "name_tokens": len(tokens),
        "cases": len(cases),
        "consents": len(consents),
        "consent_categories": len(categories),
        "withdrawals": len(withdrawals),
        "legal_bases": len(bases),
        "break_glasses": len(glasses),
        "access_grants": AccessGrant.objects.count(),
    }
    return Loaded(users={"keyworker": keyworker, "partner": partner}, rows=rows)


# --- What is timed ------------------------------------------------------------------------


def list_page(actor: Actor, name: str) -> list[Person]:
    """What the search page and the API list ask of the selectors: the count and the first
    page of 50, with what a list shows beside each person."""
    from wraparound.core.pagination import CappedPaginator
    from wraparound.people.selectors import people_for_lists, person_search, person_search_count

    # As the search page and the API list do: the count stops at 1,000 ("more than 1,000
    # people found"), counted by person_search_count.
    found = person_search(actor=actor, name=name)
    page = CappedPaginator(
        people_for_lists(found),
        PAGE_SIZE,
        count=person_search_count(actor=actor, found=found, name=name),
    ).get_page(1)
    page.paginator.count  # noqa: B018 (the count query: the page shows it)
    return list(page)


def list_page_audited(actor: Actor, name: str) -> list[Person]:
    from wraparound.people.selectors import audit_list_reads

    people = list_page(actor, name)
    audit_list_reads(actor=actor, people=people, action="person.search")
    return people


def _everyone(actor: Actor) -> QuerySet[Person]:
    from wraparound.people.models import Person

    return Person.objects.all()


@contextmanager
def policy_off() -> Iterator[None]:
    """``person_search`` with ``visible_people`` replaced by every person: the same query
    shape (tokens, ordering, page, count) without the policy's filter. The count of everyone
    is then the capped count of the unfiltered list, as it was before the grants."""
    from wraparound.core.pagination import capped_count
    from wraparound.people import selectors

    def count_everyone(actor: Actor, *, cap: int) -> int:
        return capped_count(selectors.person_search(actor=actor), cap)  # as the list counts

    def everyone_named(actor: Actor, token_filter: Q) -> QuerySet[Person]:
        # The name search as it is without a policy: every person with a matching token.
        from wraparound.people.models import Person as PersonModel
        from wraparound.people.models import PersonNameToken

        return PersonModel.objects.filter(
            pk__in=PersonNameToken.objects.filter(token_filter).values("person_id")
        )

    originals = (
        selectors.visible_people,
        selectors.visible_people_count,
        selectors.visible_people_named,
    )
    (
        selectors.visible_people,
        selectors.visible_people_count,
        selectors.visible_people_named,
    ) = (_everyone, count_everyone, everyone_named)
    try:
        yield
    finally:
        (
            selectors.visible_people,
            selectors.visible_people_count,
            selectors.visible_people_named,
        ) = originals


def list_page_without_policy(actor: Actor, name: str) -> list[Person]:
    with policy_off():
        return list_page(actor, name)


def _new_request(user: User) -> Actor:
    """The actor of a new request: grounds and per-request id lists not loaded yet."""
    from wraparound.accounts.actor import actor_for_user

    return actor_for_user(user, via="web")


# The timed arms. Each call is one request's list page, on a new actor (the membership is
# cached on the user, as the middleware's request.user would have it).
PAGE_ARMS: dict[str, Callable[[User, str], list[Person]]] = {
    "without": lambda user, name: list_page_without_policy(_new_request(user), name),
    "policy": lambda user, name: list_page(_new_request(user), name),
    "policy_audit": lambda user, name: list_page_audited(_new_request(user), name),
}
# The same pages' statements replayed on a raw cursor: what the database itself spends.
SQL_ARMS = {"sql_without": "without", "sql_policy": "policy"}
ARMS = (*PAGE_ARMS, *SQL_ARMS)

Statements = list[tuple[str, tuple[Any, ...]]]


def page_statements(user: User, name: str) -> dict[str, Statements]:
    """The statements of one page, with the policy (including its per-request id list of
    legal bases and break-glass) and without."""
    return {
        "policy": capture_sql(functools.partial(list_page, _new_request(user), name))[1],
        "without": capture_sql(
            functools.partial(list_page_without_policy, _new_request(user), name)
        )[1],
    }


def time_lists(
    users: dict[str, User], statements: dict[str, dict[str, Statements]], iterations: int
) -> dict[str, dict[str, list[float]]]:
    """Samples per (actor, search) and arm. The arms take turns call by call, in a rotating
    order, so a slower moment of the machine falls on all of them alike."""
    from django.db import connection

    def call(arm: str, who: str, label: str, name: str) -> object:
        if arm in SQL_ARMS:
            return run_sql(statements[f"{who}|{label}"][SQL_ARMS[arm]])
        return PAGE_ARMS[arm](users[who], name)

    for _ in range(WARMUP_ROUNDS):
        for who in users:
            for label, name in SEARCHES:
                for arm in ARMS:
                    call(arm, who, label, name)
    gc.collect()
    samples: dict[str, dict[str, list[float]]] = {
        f"{who}|{label}": {arm: [] for arm in ARMS} for who in users for label, _ in SEARCHES
    }
    for i in range(iterations):
        label, name = SEARCHES[i % len(SEARCHES)]
        shift = i % len(ARMS)
        for who in users:
            for arm in ARMS[shift:] + ARMS[:shift]:
                connection.ensure_connection()
                samples[f"{who}|{label}"][arm].append(
                    time_ms(functools.partial(call, arm, who, label, name))
                )
    return samples


def time_decisions(
    users: dict[str, User], people: dict[str, list[Person]]
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]], dict[str, Any]]:
    """Warm: every category for each person, grounds already loaded on the actor. Cold: the
    first decision for a person, on a new actor (a new request); and its statements replayed
    on a raw cursor (what the database spends of it)."""
    from wraparound.consent.categories import DataCategory
    from wraparound.consent.policy import decide

    warm: dict[str, list[float]] = {}
    cold: dict[str, list[float]] = {}
    cold_sql: dict[str, list[float]] = {}
    info: dict[str, Any] = {}
    categories = list(DataCategory)
    for who, user in users.items():
        sample = people[who]
        replays = [
            capture_sql(functools.partial(decide, actor=_new_request(user), person=p))[1]
            for p in sample
        ]
        info[f"{who}_cold_queries"] = max(len(r) for r in replays)
        gc.collect()
        cold[who] = []
        for person in sample:
            fresh = _new_request(user)
            cold[who].append(time_ms(functools.partial(decide, actor=fresh, person=person)))
        cold_sql[who] = [time_ms(functools.partial(run_sql, r)) for r in replays]
        actor = _new_request(user)
        info[f"{who}_people_allowed"] = sum(bool(decide(actor=actor, person=p)) for p in sample)
        info[f"{who}_category_decisions_allowed"] = sum(
            bool(decide(actor=actor, person=p, category=c)) for p in sample for c in categories
        )
        gc.collect()
        warm[who] = []
        for _ in range(WARM_ROUNDS):
            for person in sample:
                for category in categories:
                    warm[who].append(
                        time_ms(
                            functools.partial(decide, actor=actor, person=person, category=category)
                        )
                    )
    return warm, cold, cold_sql, info


def decision_people(actor: Actor, rng: random.Random) -> list[Person]:
    """Half people the actor may see, half people it may not (both matter: a list or a
    household shows some of each)."""
    from wraparound.consent.policy import visible_people
    from wraparound.people.models import Person

    visible = list(visible_people(actor).values_list("pk", flat=True))
    hidden = list(Person.objects.exclude(pk__in=visible_people(actor)).values_list("pk", flat=True))
    half = DECISION_PEOPLE // 2
    ids = rng.sample(visible, k=min(half, len(visible)))
    ids += rng.sample(hidden, k=min(DECISION_PEOPLE - len(ids), len(hidden)))
    by_id = {p.pk: p for p in Person.objects.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids]


def consistency_checks(actors: dict[str, Actor]) -> list[str]:
    """The list filter (visible_people) and the decision (decide) must agree: everyone on a
    page with the policy is allowed, everyone dropped from the page without it is denied."""
    from wraparound.accounts.actor import actor_for_user
    from wraparound.consent.policy import decide
    from wraparound.core.pagination import capped_count
    from wraparound.people.selectors import person_search, person_search_count

    problems: list[str] = []
    for who, actor in actors.items():
        assert actor.user is not None
        for label, name in SEARCHES:
            with_policy = list_page(actor, name)
            without = list_page_without_policy(actor, name)
            fresh = actor_for_user(actor.user, via="web")
            if without and not with_policy and who == "keyworker":
                problems.append(f"{who} {label}: the key worker's page is empty")
            refused = [
                p.pk for p in with_policy[:CHECKED_ROWS] if not decide(actor=fresh, person=p)
            ]
            if refused:
                problems.append(f"{who} {label}: listed but refused by decide: {refused[:5]}")
            shown = {p.pk for p in with_policy}
            leaked = [
                p.pk
                for p in without[:CHECKED_ROWS]
                if p.pk not in shown and decide(actor=fresh, person=p)
            ]
            # A person allowed by decide but missing from the page is fine only if the page
            # with the policy ran out of room before reaching them (name order).
            if leaked and len(with_policy) < PAGE_SIZE:
                problems.append(f"{who} {label}: allowed but not listed: {leaked[:5]}")
            found = person_search(actor=fresh, name=name)
            counted = person_search_count(actor=fresh, found=found, name=name)
            listed = capped_count(found)
            if counted != listed:
                problems.append(f"{who} {label}: counted {counted} but the list holds {listed}")
    return problems


# --- One backend (child process) ----------------------------------------------------------


def run_backend(backend: str, n_people: int, iterations: int, seed: int) -> dict[str, Any]:
    database = (
        temporary_sqlite_database("bench-access-policy-")
        if backend == "sqlite"
        else fresh_postgres_database(PG_DATABASE)
    )
    with database as url, tempfile.TemporaryDirectory(prefix="bench-var-") as var_dir:
        setup_django(url, var_dir=Path(var_dir))
        from django.db import connections

        try:
            return measure_backend(backend, n_people, iterations, seed)
        finally:
            connections.close_all()


def measure_backend(backend: str, n_people: int, iterations: int, seed: int) -> dict[str, Any]:
    from wraparound.accounts.actor import actor_for_user
    from wraparound.audit.models import AuditEvent
    from wraparound.consent.policy import visible_people
    from wraparound.people.selectors import person_search

    assert vendor() == ("sqlite" if backend == "sqlite" else "postgresql")
    rng = random.Random(seed)
    started = time.perf_counter()
    migrate()
    log(f"{backend}: migrated in {time.perf_counter() - started:.1f}s; loading {n_people:,}")
    started = time.perf_counter()
    data = load(n_people, rng)
    load_s = time.perf_counter() - started
    analyze()
    log(f"{backend}: loaded in {load_s:.1f}s")

    actors = {who: actor_for_user(data.users[who], via="web") for who in ACTORS}
    visible = {who: visible_people(actor).count() for who, actor in actors.items()}
    checks = consistency_checks(actors)

    statements: dict[str, dict[str, Statements]] = {}
    matches: dict[str, dict[str, int]] = {}
    for who, actor in actors.items():
        for label, name in SEARCHES:
            key = f"{who}|{label}"
            statements[key] = page_statements(data.users[who], name)
            with_count = person_search(actor=actor, name=name).count()
            with policy_off():
                without_count = person_search(actor=actor, name=name).count()
            matches[key] = {"policy": with_count, "without": without_count}

    log(f"{backend}: timing decisions")
    people = {who: decision_people(actor, rng) for who, actor in actors.items()}
    warm, cold, cold_sql, decision_info = time_decisions(data.users, people)

    log(
        f"{backend}: timing list pages ({iterations} rounds x {len(ACTORS)} actors x "
        f"{len(ARMS)} arms)"
    )
    audit_before = AuditEvent.objects.count()
    samples = time_lists(data.users, statements, iterations)
    audit_rows = AuditEvent.objects.count() - audit_before

    for message in checks:
        log(f"{backend}: CHECK {message}")
    per_page: dict[str, dict[str, Any]] = {}
    for key, arms in samples.items():
        stats = {arm: Stats.of(values).as_dict() for arm, values in arms.items()}
        p50 = {arm: stats[arm]["p50_ms"] for arm in ARMS}
        per_page[key] = {
            "matches": matches[key],
            **stats,
            "ratio": ratio(p50["policy"], p50["without"]),
            "ratio_with_audit": ratio(p50["policy_audit"], p50["without"]),
            "sql_ratio": ratio(p50["sql_policy"], p50["sql_without"]),
            # Where the policy's extra time goes, at the median: the database, and the
            # rest (building and compiling the bigger query, the id-list query's round trip).
            "extra_ms_database": round(p50["sql_policy"] - p50["sql_without"], 2),
            "extra_ms_python": round(
                (p50["policy"] - p50["sql_policy"]) - (p50["without"] - p50["sql_without"]), 2
            ),
            "audit_ms": round(p50["policy_audit"] - p50["policy"], 2),
        }

    def flat(arm: str) -> list[float]:
        return [ms for arms in samples.values() for ms in arms[arm]]

    all_warm = [ms for values in warm.values() for ms in values]
    all_cold = [ms for values in cold.values() for ms in values]
    return {
        "backend": backend,
        "n_people": n_people,
        "iterations": iterations,
        "rows": data.rows,
        "visible": visible,
        "load_s": round(load_s, 1),
        "decision_warm": Stats.of(all_warm).as_dict(),
        "decision_warm_by_actor": {w: Stats.of(v).as_dict() for w, v in warm.items()},
        "decision_cold": Stats.of(all_cold).as_dict(),
        "decision_cold_by_actor": {w: Stats.of(v).as_dict() for w, v in cold.items()},
        "decision_cold_sql": Stats.of([ms for v in cold_sql.values() for ms in v]).as_dict(),
        "decision_info": decision_info,
        "list": {arm: Stats.of(flat(arm)).as_dict() for arm in ARMS},
        "per_page": per_page,
        "audit_rows_written": audit_rows,
        "plans": {
            key: {
                arm: [explain(sql, params) for sql, params in arm_stmts]
                for arm, arm_stmts in stmts.items()
            }
            for key, stmts in statements.items()
        },
        "sql": {
            key: {arm: [sql for sql, _ in arm_stmts] for arm, arm_stmts in stmts.items()}
            for key, stmts in statements.items()
        },
        "checks": checks,
        "machine": machine(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


# --- Parent: run the backends, print the table and the summary ------------------------------


def summarise(results: dict[str, dict[str, Any]], skipped: dict[str, str]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "benchmark": "access_policy",
        "backends": list(results),
        "target_decision_p95_ms": TARGET_DECISION_P95_MS,
        "target_list_overhead_ratio": TARGET_LIST_OVERHEAD_RATIO,
        "list_overhead_ratio_basis": (
            "median list page (count + 50 rows + their active cases) with the policy filter "
            "over the same page with visible_people replaced by all people; worst search, "
            "actor and backend; the audit of the 50 rows is not included (see "
            "list_overhead_ratio_with_audit)"
        ),
        "page_size": PAGE_SIZE,
    }
    if skipped:
        summary["skipped"] = skipped
    for backend, r in results.items():
        summary["n_people"] = r["n_people"]
        summary["iterations"] = r["iterations"]
        pages = r["per_page"]
        worst_key = max(pages, key=lambda k: pages[k]["ratio"] or 0)
        worst_audit_key = max(pages, key=lambda k: pages[k]["ratio_with_audit"] or 0)
        prefix = f"{backend}_"
        summary |= {
            f"{prefix}decision_p50_ms": r["decision_warm"]["p50_ms"],
            f"{prefix}decision_p95_ms": r["decision_warm"]["p95_ms"],
            f"{prefix}decision_cold_p50_ms": r["decision_cold"]["p50_ms"],
            f"{prefix}decision_cold_p95_ms": r["decision_cold"]["p95_ms"],
            f"{prefix}list_p50_ms_without_policy": r["list"]["without"]["p50_ms"],
            f"{prefix}list_p95_ms_without_policy": r["list"]["without"]["p95_ms"],
            f"{prefix}list_p50_ms_with_policy": r["list"]["policy"]["p50_ms"],
            f"{prefix}list_p95_ms_with_policy": r["list"]["policy"]["p95_ms"],
            f"{prefix}list_p50_ms_with_policy_and_audit": r["list"]["policy_audit"]["p50_ms"],
            f"{prefix}list_p95_ms_with_policy_and_audit": r["list"]["policy_audit"]["p95_ms"],
            f"{prefix}decision_cold_sql_p50_ms": r["decision_cold_sql"]["p50_ms"],
            f"{prefix}list_overhead_ratio": pages[worst_key]["ratio"],
            f"{prefix}list_overhead_sql_ratio": max(p["sql_ratio"] or 0 for p in pages.values()),
            f"{prefix}list_overhead_worst_page_extra_ms": {
                "database": pages[worst_key]["extra_ms_database"],
                "python": pages[worst_key]["extra_ms_python"],
            },
            f"{prefix}list_overhead_ratio_worst_page": worst_key.replace("|", ": "),
            f"{prefix}list_overhead_ratio_mix": ratio(
                sum(p["policy"]["p50_ms"] for p in pages.values()),
                sum(p["without"]["p50_ms"] for p in pages.values()),
            ),
            f"{prefix}list_overhead_ratio_with_audit": pages[worst_audit_key]["ratio_with_audit"],
            f"{prefix}list_overhead_ratio_with_audit_mix": ratio(
                sum(p["policy_audit"]["p50_ms"] for p in pages.values()),
                sum(p["without"]["p50_ms"] for p in pages.values()),
            ),
        }
        summary[f"{prefix}decision_met"] = r["decision_warm"]["p95_ms"] <= TARGET_DECISION_P95_MS
        summary[f"{prefix}list_met"] = (
            pages[worst_key]["ratio"] is not None
            and pages[worst_key]["ratio"] <= TARGET_LIST_OVERHEAD_RATIO
        )

    def worst(key: str) -> Any:
        values = [summary[f"{b}_{key}"] for b in results if summary.get(f"{b}_{key}") is not None]
        return max(values) if values else None

    for key in (
        "decision_p50_ms", "decision_p95_ms", "decision_cold_p50_ms", "decision_cold_p95_ms",
        "list_p50_ms_without_policy", "list_p95_ms_without_policy", "list_p50_ms_with_policy",
        "list_p95_ms_with_policy", "list_p50_ms_with_policy_and_audit",
        "list_p95_ms_with_policy_and_audit", "list_overhead_ratio", "list_overhead_ratio_mix",
        "list_overhead_ratio_with_audit", "list_overhead_ratio_with_audit_mix",
        "decision_cold_sql_p50_ms", "list_overhead_sql_ratio",
    ):  # fmt: skip
        summary[key] = worst(key)
    summary["decision_met"] = bool(results) and all(summary[f"{b}_decision_met"] for b in results)
    summary["list_met"] = bool(results) and all(summary[f"{b}_list_met"] for b in results)
    summary["met"] = summary["decision_met"] and summary["list_met"]
    summary["checks_passed"] = all(not r["checks"] for r in results.values())
    return summary


def _fmt(value: float | None, width: int = 8, digits: int = 1) -> str:
    return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


def print_report(
    results: dict[str, dict[str, Any]], summary: dict[str, Any], *, show_plans: bool
) -> None:
    if not results:
        print("access_policy: no backend could run")
        return
    first = next(iter(results.values()))
    rows = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in first["rows"].items())
    print(f"\nAccess policy over {first['n_people']:,} people ({rows})")
    print(
        f"Targets: decision p95 <= {TARGET_DECISION_P95_MS} ms with warm grounds; list page "
        f"of {PAGE_SIZE} with the policy <= {TARGET_LIST_OVERHEAD_RATIO} x without\n"
    )
    print(f"{'backend':9} {'decision':22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  calls")
    for backend, r in results.items():
        info = r["decision_info"]
        for title, key in (("warm (grounds cached)", "decision_warm"),
                           ("cold (loads grounds)", "decision_cold")):  # fmt: skip
            s = r[key]
            print(
                f"{backend:9} {title:22} {_fmt(s['p50_ms'], 8, 4)} {_fmt(s['p95_ms'], 8, 4)} "
                f"{_fmt(s['max_ms'], 8, 3)}  {s['n']:,}"
            )
        cs = r["decision_cold_sql"]
        print(f"{backend:9} {'cold, its SQL only':22} {_fmt(cs['p50_ms'], 8, 4)} "
              f"{_fmt(cs['p95_ms'], 8, 4)} {_fmt(cs['max_ms'], 8, 3)}  {cs['n']:,}")  # fmt: skip
        queries = ", ".join(f"{w} {info[f'{w}_cold_queries']}" for w in ACTORS)
        print(f"{'':9} cold decision queries: {queries}; seen of {DECISION_PEOPLE} sampled: "
              + ", ".join(f"{w} {info[f'{w}_people_allowed']}" for w in ACTORS))  # fmt: skip

    print(
        f"\n{'backend':9} {'actor':9} {'list page':20} {'matches':>15}  {'without':>12}  "
        f"{'policy':>12}  {'policy+audit':>12}  {'ratio':>5} {'+audit':>6}  {'SQL':>5}  "
        f"{'extra ms: db / python / audit':>29}"
    )
    print(f"{'':9} {'':9} {'':20} {'policy/all':>15}  {'p50 / p95 ms':>12}  {'':>12}  {'':>12}  "
          f"{'':>5} {'':>6}  {'ratio':>5}")  # fmt: skip
    for backend, r in results.items():
        for key, page in r["per_page"].items():
            who, label = key.split("|")
            cells = "  ".join(
                f"{_fmt(page[arm]['p50_ms'], 5)}/{_fmt(page[arm]['p95_ms'], 6)}"
                for arm in PAGE_ARMS
            )
            m = page["matches"]
            extra = (
                f"{_fmt(page['extra_ms_database'], 6)} / {_fmt(page['extra_ms_python'], 6)} / "
                f"{_fmt(page['audit_ms'], 6)}"
            )
            print(
                f"{backend:9} {who:9} {label:20} {m['policy']:>7,}/{m['without']:<7,}  {cells}  "
                f"{_fmt(page['ratio'], 5, 2)} {_fmt(page['ratio_with_audit'], 6, 2)}  "
                f"{_fmt(page['sql_ratio'], 5, 2)}  {extra:>29}"
            )
        for arm, title in (("without", "all pages, without"), ("policy", "with policy"),
                           ("policy_audit", "with policy + audit")):  # fmt: skip
            st = r["list"][arm]
            print(f"{backend:9} {'':9} {title:20} p50 {st['p50_ms']:.1f} ms, "
                  f"p95 {st['p95_ms']:.1f} ms")  # fmt: skip
        seen = ", ".join(f"{w} {n:,}" for w, n in r["visible"].items())
        print(f"{'':9} visible: {seen}; loaded in {r['load_s']}s; audit rows written "
              f"{r['audit_rows_written']:,}; load average {r['load_average']}")  # fmt: skip
    for backend, r in results.items():
        for message in r["checks"]:
            print(f"CHECK {backend}: {message}")
    print(
        f"\nDecision p95 {summary['decision_p95_ms']} ms warm (target "
        f"{TARGET_DECISION_P95_MS}): {'met' if summary['decision_met'] else 'MISSED'}; cold "
        f"p95 {summary['decision_cold_p95_ms']} ms."
    )
    print(
        f"List overhead {summary['list_overhead_ratio']} x on the worst page "
        f"(mix {summary['list_overhead_ratio_mix']} x; target {TARGET_LIST_OVERHEAD_RATIO}): "
        f"{'met' if summary['list_met'] else 'MISSED'}. With the audit of the {PAGE_SIZE} rows: "
        f"{summary['list_overhead_ratio_with_audit']} x worst, "
        f"{summary['list_overhead_ratio_with_audit_mix']} x mix (not part of the target)."
    )
    # The plans: every page's with --explain, else the worst page's of each backend.
    for backend, r in results.items():
        pages = r["per_page"]
        worst = max(pages, key=lambda k: pages[k]["ratio"] or 0)
        for key in pages if show_plans else [worst]:
            for arm in ("policy", "without"):
                title = "with the policy" if arm == "policy" else "without the policy"
                print(f"\n--- {backend} plan {title}: {key.replace('|', ', ')}")
                for sql, plan in zip(r["sql"][key][arm], r["plans"][key][arm], strict=True):
                    print(f"{sql}\n{plan}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE)
    parser.add_argument(
        "--iterations", type=int, default=DEFAULT_ITERATIONS, help="timed rounds per actor and arm"
    )
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--explain", action="store_true", help="print every page's plans")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.people < 2_000 or args.iterations < len(SEARCHES):
        parser.error(f"use at least 2,000 people and {len(SEARCHES)} iterations")

    if args.child:
        print_json_line(run_backend(args.backend, args.people, args.iterations, args.seed))
        return 0

    results: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for backend in BACKENDS if args.backend == "both" else (args.backend,):
        if backend == "postgres" and (reason := postgres_unavailable_reason()):
            log(f"skipping PostgreSQL: {reason}")
            skipped[backend] = reason
            continue
        log(f"{backend}: starting")
        results[backend] = run_child(
            [__file__, "--child", "--backend", backend, "--people", str(args.people),
             "--iterations", str(args.iterations), "--seed", str(args.seed)]
        )  # fmt: skip
    summary = summarise(results, skipped)
    print_report(results, summary, show_plans=args.explain)
    print_json_line(summary)
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
