"""Person search over 100,000 people, on SQLite and on PostgreSQL.

Three layers are timed for the same mix of searches a key worker makes:

- **selector**: ``people.selectors.person_search`` used the way the search page uses it, a
  ``CappedPaginator`` of 25 (as the page: counts stop at 1,000): the count and the first
  page, turned into ``Person`` objects;
- **HTTP**: the whole staff search page, ``GET /people/?name=...``, through Django's test client
  signed in as the key worker (middleware, session, form, selector, template);
- **raw SQL**: the selector's own two statements (captured with their parameters) replayed on a
  raw cursor, rows fetched: the floor the database sets.

``selector_vs_raw_sql`` and ``http_vs_raw_sql`` are ratios of medians: how many times the raw
SQL's time the framework takes. Target: selector p95 <= 50 ms on 100,000 people.

Each backend runs in its own child process (the settings read DATABASE_URL at import), on a
database built for the run: a temporary SQLite file, and a fresh PostgreSQL database
``bench_person_search_<pid>`` (``BENCH_POSTGRES_URL``, default postgres@127.0.0.1:5432), dropped
afterwards. PostgreSQL is skipped, with the reason, when it cannot be reached.

    python bench/person_search.py [--people 100000] [--iterations 200]
                                  [--backend sqlite|postgres|both] [--explain]

Progress goes to stderr; a table, then one JSON object as the last line, to stdout. The
headline keys (``selector_p95_ms``, ``http_p95_ms``, ``raw_sql_p95_ms``, the p50s and the
ratios) are the worse of the backends; per-backend values are prefixed ``sqlite_`` and
``postgres_``. The exit status is 0 even when the target is missed (``met`` says so).
"""

from __future__ import annotations

import argparse
import functools
import gc
import html
import os
import random
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

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
    from wraparound.accounts.models import User

BACKENDS = ("sqlite", "postgres")
TARGET_SELECTOR_P95_MS = 50.0
PAGE_SIZE = 25
SEED = 20_251_122
GIVEN_POOL_SIZE = 3_000
FAMILY_POOL_SIZE = 5_000
WARMUP_ROUNDS = 2


# --- Names --------------------------------------------------------------------------------

# Common in Wales, several with the accents a search must see through ("sian" finds "Siân").
WELSH_GIVEN = (
    "Siân", "Siôn", "Dafydd", "Rhodri", "Ffion", "Cerys", "Catrin", "Aled", "Iolo", "Heledd",
    "Rhiannon", "Angharad", "Gwion", "Elin", "Nia", "Lowri", "Bethan", "Carys", "Gareth", "Huw",
    "Llŷr", "Gwenllïan", "Tomos", "Owain", "Mared", "Gethin", "Eluned", "Osian", "Seren", "Iestyn",
)  # fmt: skip
ACCENTED_GIVEN = (
    "Seán", "Siobhán", "Róisín", "Áine", "Ciarán", "Pádraig", "Sinéad", "Zoë", "Chloé", "Renée",
    "José", "Noémie", "Andrés", "Björn", "Inès", "Éabha", "Maëlle", "Ágnes", "Lúcia", "Iñaki",
)  # fmt: skip
# Locales whose names make the long tail, with how many names each may give at most.
GIVEN_TAIL_LOCALES = {
    "en_IE": 500, "ga_IE": 300, "fr_FR": 219, "es_ES": 400, "de_DE": 300, "it_IT": 300,
    "tr_TR": 250, "en_IN": 300, "yo_NG": 170, "pt_PT": 150, "ro_RO": 150, "cs_CZ": 150,
    "hu_HU": 100, "pl_PL": 153, "nl_NL": 200, "sv_SE": 200,
}  # fmt: skip
FAMILY_TAIL_LOCALES = {
    "en_IE": 1500, "ga_IE": 250, "fr_FR": 400, "es_ES": 600, "de_DE": 406, "it_IT": 600,
    "en_IN": 554, "yo_NG": 196, "cs_CZ": 200, "hu_HU": 100, "pt_PT": 96, "tr_TR": 61,
    "nl_NL": 400, "sv_SE": 200,
}  # fmt: skip


@dataclass(frozen=True)
class NamePool:
    names: list[str]
    cum_weights: list[float]

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.names, cum_weights=self.cum_weights, k=k)


def _is_latin_name(name: str) -> bool:
    return bool(name) and all(
        ch in " '-" or (ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN"))
        for ch in name
    )


def _person_provider(locale: str) -> Any:
    from faker import Faker

    return next(
        p for p in Faker(locale).providers if p.__module__.startswith("faker.providers.person")
    )


def _locale_names(locale: str, attribute: str) -> list[str]:
    provider = _person_provider(locale)
    names = list(getattr(provider, attribute, ()))
    if len(names) < 10:  # some locales keep family names by gender only
        names = list(getattr(provider, f"{attribute}_male", ())) + list(
            getattr(provider, f"{attribute}_female", ())
        )
    return [n for n in names if _is_latin_name(n)]


def _tail(
    rng: random.Random, quotas: dict[str, int], attribute: str, exclude: set[str], size: int
) -> list[str]:
    candidates: dict[str, None] = {}
    for locale, quota in quotas.items():
        names = [n for n in _locale_names(locale, attribute) if n not in exclude]
        rng.shuffle(names)
        candidates.update(dict.fromkeys(names[:quota]))
    tail = list(candidates)
    rng.shuffle(tail)
    return tail[:size]


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def given_name_pool(rng: random.Random) -> NamePool:
    """~3,000 given names: en_GB's commonest first (Zipf weights), Welsh and accented names
    among the fairly common, then a multilingual long tail."""
    gb = _person_provider("en_GB")
    head: dict[str, None] = {}
    for female, male in zip(gb.first_names_female, gb.first_names_male, strict=False):
        head.update({female: None, male: None})
    ordered = list(head)
    for i, name in enumerate(WELSH_GIVEN + ACCENTED_GIVEN):
        ordered.insert(40 + 7 * i, name)  # ranks 40-400: common enough to matter
    ordered = list(dict.fromkeys(ordered))
    ordered += _tail(rng, GIVEN_TAIL_LOCALES, "first_names", set(ordered), GIVEN_POOL_SIZE)
    ordered = ordered[:GIVEN_POOL_SIZE]
    return NamePool(ordered, _cumulative([1 / (rank + 8) for rank in range(len(ordered))]))


def family_name_pool(rng: random.Random) -> NamePool:
    """~5,000 family names: en_GB's 500 with their real frequencies (about 40% of people),
    then a multilingual tail and double-barrelled names sharing the other 60% (Zipf)."""
    gb_weights: dict[str, float] = dict(_person_provider("en_GB").last_names)
    head = sorted(gb_weights, key=lambda n: -gb_weights[n])
    tail = _tail(rng, FAMILY_TAIL_LOCALES, "last_names", set(head), FAMILY_POOL_SIZE)
    while len(head) + len(tail) < FAMILY_POOL_SIZE:
        double = f"{rng.choice(head)}-{rng.choice(head)}"
        if double not in tail:
            tail.append(double)
    tail = tail[: FAMILY_POOL_SIZE - len(head)]
    head_share = sum(gb_weights.values())
    zipf = [1 / (rank + 30) for rank in range(len(tail))]
    scale = (100 - head_share) / sum(zipf)
    weights = [gb_weights[n] for n in head] + [w * scale for w in zipf]
    return NamePool(head + tail, _cumulative(weights))


# --- Data ---------------------------------------------------------------------------------


@dataclass
class Loaded:
    """What the searches are built from, kept while loading."""

    keyworker: User
    people: list[tuple[int, str, str, date | None]]  # id, given, family, date of birth
    visible: set[int]
    identifiers: dict[int, tuple[str, str]]  # person id -> (type, value as typed)
    rows: dict[str, int] = field(default_factory=dict)


def _nhs_number(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _ni_number(rng: random.Random) -> str:
    first, second = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
    while True:
        prefix = rng.choice(first) + rng.choice(second)
        if prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
            return f"{prefix}{rng.randrange(10**6):06d}{rng.choice('ABCD')}"


def _date_of_birth(rng: random.Random, today: date) -> date | None:
    if rng.random() < 0.03:
        return None
    age_days = int(rng.triangular(0, 95 * 365.25, 35 * 365.25))
    return today - timedelta(days=age_days)


def load(n_people: int, rng: random.Random) -> Loaded:
    """Build a network of agencies and ``n_people`` people with name tokens, identifiers and
    cases, with bulk inserts (the services would take hours for this many)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from wraparound.accounts.models import Membership, Role, User
    from wraparound.cases.models import Case, CaseStatus, ClosureReason, EntryRoute
    from wraparound.core.models import Network
    from wraparound.directory.models import Organisation, Sector
    from wraparound.people.choices import IdentifierType, Sex
    from wraparound.people.models import Identifier, Person, PersonNameToken
    from wraparound.people.validation import name_tokens, normalise_identifier, sort_name

    given_pool, family_pool = given_name_pool(rng), family_name_pool(rng)
    log(f"name pools: {len(given_pool.names)} given, {len(family_pool.names)} family names")
    today = timezone.localdate()

    with transaction.atomic():
        network = Network.objects.create(slug="valleys", name="Valleys Wraparound Network")
        one_stop = Organisation.objects.create(
            network=network, slug="one-stop", name="Cwm Taf One-Stop Centre", is_lead=True,
            sector=Sector.SOCIAL_SERVICES, kind="public",
        )  # fmt: skip
        partners = [
            Organisation.objects.create(
                network=network, slug=slug, name=name, sector=sector, kind="non_profit"
            )
            for slug, name, sector in [
                ("housing-assoc", "Taff Housing Association", Sector.HOUSING),
                ("mind-valleys", "Valleys Mind", Sector.MENTAL_HEALTH),
                ("law-clinic", "Valleys Law Clinic", Sector.LEGAL),
                ("jobs-hub", "Rhondda Jobs Hub", Sector.EMPLOYMENT),
            ]
        ]
        keyworker = User.objects.create(
            username="keyworker", display_name="Bench Key Worker", password=make_password(None)
        )
        Membership.objects.create(user=keyworker, organisation=one_stop, role=Role.KEY_WORKER)
        colleagues = User.objects.bulk_create(
            User(username=f"worker{i}", password=make_password(None)) for i in range(60)
        )
        Membership.objects.bulk_create(
            Membership(user=u, organisation=one_stop, role=Role.KEY_WORKER) for u in colleagues
        )

        streets = [f"{name} Street" for name in family_pool.names[:400]]
        towns = ["Pontypridd", "Merthyr Tydfil", "Aberdare", "Porth", "Tonypandy", "Treorchy"]
        givens = given_pool.draw(rng, n_people)
        families = family_pool.draw(rng, n_people)
        # Who the one-stop works with (80%); the rest are known only to a partner agency.
        with_one_stop = [rng.random() < 0.8 for _ in range(n_people)]
        people: list[Person] = []
        for i in range(n_people):
            given, family = givens[i], families[i]
            if with_one_stop[i]:
                registered_by = one_stop if rng.random() < 0.6 else rng.choice(partners)
            else:
                registered_by = one_stop if rng.random() < 0.03 else rng.choice(partners)
            previous = [f"{given} {family_pool.draw(rng, 1)[0]}"] if rng.random() < 0.06 else []
            has_address = rng.random() < 0.7
            people.append(
                Person(
                    network=network,
                    given_name=given,
                    family_name=family,
                    preferred_name=given_pool.draw(rng, 1)[0] if rng.random() < 0.05 else "",
                    previous_names=previous,
                    date_of_birth=_date_of_birth(rng, today),
                    date_of_birth_is_approximate=rng.random() < 0.02,
                    sex=rng.choice([Sex.FEMALE, Sex.MALE, Sex.FEMALE, Sex.MALE, Sex.NOT_KNOWN]),
                    phone=f"+447700{rng.randrange(10**6):06d}" if rng.random() < 0.6 else "",
                    address_line_1=f"{rng.randrange(1, 200)} {rng.choice(streets)}"
                    if has_address
                    else "",
                    town=rng.choice(towns) if has_address else "",
                    postcode=f"CF{rng.randrange(10, 48)} {rng.randrange(10)}"
                    f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                    if has_address
                    else "",
                    registered_by=registered_by,
                    sort_name=sort_name(given, family),
                )
            )
        log(f"inserting {n_people:,} people")
        Person.objects.bulk_create(people, batch_size=2000)
        assert all(p.pk is not None for p in people), "bulk_create did not return primary keys"

        tokens = [
            PersonNameToken(person_id=p.pk, token=token)
            for p in people
            for token in name_tokens(
                p.given_name, p.family_name, p.preferred_name, *p.previous_names
            )
        ]
        log(f"inserting {len(tokens):,} name tokens")
        PersonNameToken.objects.bulk_create(tokens, batch_size=5000)

        identifiers: dict[int, tuple[str, str]] = {}
        identifier_rows: list[Identifier] = []
        seen: set[tuple[str, str]] = set()
        for p in rng.sample(people, k=n_people // 10):
            kind = rng.choices(
                [IdentifierType.NHS_NUMBER, IdentifierType.NATIONAL_INSURANCE,
                 IdentifierType.LOCAL_AUTHORITY],
                weights=[6, 3, 1],
            )[0]  # fmt: skip
            if kind == IdentifierType.NHS_NUMBER:
                raw = _nhs_number(rng)
                typed = f"{raw[:3]} {raw[3:6]} {raw[6:]}"
            elif kind == IdentifierType.NATIONAL_INSURANCE:
                raw = _ni_number(rng)
                typed = f"{raw[:2]} {raw[2:4]} {raw[4:6]} {raw[6:8]} {raw[8]}".lower()
            else:
                raw = f"RCT{rng.randrange(10**7):07d}"
                typed = f"rct-{raw[3:]}"
            value = normalise_identifier(kind, raw)
            if (kind, value) in seen:
                continue
            seen.add((kind, value))
            identifiers[p.pk] = (kind, typed)
            identifier_rows.append(Identifier(person=p, network=network, type=kind, value=value))
        log(f"inserting {len(identifier_rows):,} identifiers")
        Identifier.objects.bulk_create(identifier_rows, batch_size=5000)

        cases: list[Case] = []
        visible: set[int] = set()
        caseload = set(rng.sample(range(n_people), k=min(40, n_people)))

        def case(person: Person, lead: Organisation, **extra: Any) -> Case:
            opened = today - timedelta(days=rng.randrange(1, 3 * 365))
            return Case(
                network=network, person=person, lead_organisation=lead,
                entry_route=EntryRoute.CASE_MANAGEMENT if lead == one_stop
                else EntryRoute.LEAD_AGENCY,
                opened_on=opened,
                last_activity_at=datetime.combine(opened, datetime.min.time(), tzinfo=UTC)
                + timedelta(days=rng.randrange(0, max(1, (today - opened).days))),
                **extra,
            )  # fmt: skip

        for i, p in enumerate(people):
            if with_one_stop[i]:
                worker = keyworker if i in caseload else rng.choice([*colleagues, None])
                status = CaseStatus.OPEN if rng.random() < 0.85 else CaseStatus.STEPPED_DOWN
                cases.append(case(p, one_stop, status=status, key_worker=worker))
                visible.add(p.pk)
                if rng.random() < 0.05:  # an earlier, closed episode
                    closed_on = today - timedelta(days=rng.randrange(400, 2000))
                    cases.append(
                        case(p, one_stop, status=CaseStatus.CLOSED, closed_on=closed_on,
                             closure_reason=rng.choice(ClosureReason.values))
                    )  # fmt: skip
            if not with_one_stop[i] or rng.random() < 0.1:
                cases.append(case(p, rng.choice(partners), status=CaseStatus.OPEN))
            if p.registered_by_id == one_stop.pk:
                visible.add(p.pk)
        log(f"inserting {len(cases):,} cases")
        Case.objects.bulk_create(cases, batch_size=5000)

    rows = {
        "people": n_people,
        "name_tokens": len(tokens),
        "identifiers": len(identifier_rows),
        "cases": len(cases),
        "visible_to_key_worker": len(visible),
    }
    return Loaded(
        keyworker=keyworker,
        people=[(p.pk, p.given_name, p.family_name, p.date_of_birth) for p in people],
        visible=visible,
        identifiers=identifiers,
        rows=rows,
    )


# --- Searches -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    label: str
    name: str = ""
    date_of_birth: date | None = None
    identifier: str = ""
    expect_person_id: int | None = None  # must be on the first page
    expect_text: str = ""  # and shown on the HTML page

    def criteria(self) -> dict[str, Any]:
        return {"name": self.name, "date_of_birth": self.date_of_birth,
                "identifier": self.identifier}  # fmt: skip

    def query_string(self) -> str:
        params: dict[str, str] = {"name": self.name}
        if self.date_of_birth is not None:
            dob = self.date_of_birth
            params |= {"date_of_birth_0": str(dob.day), "date_of_birth_1": str(dob.month),
                       "date_of_birth_2": str(dob.year)}  # fmt: skip
        if self.identifier:
            params["identifier"] = self.identifier
        return urlencode(params)


def searches(data: Loaded, rng: random.Random) -> list[Search]:
    """The mix: a common family-name prefix, a full common name, an accented given name, a
    rare exact name, a date of birth, an identifier, and a name with a date of birth."""
    from wraparound.people.validation import fold

    visible = [p for p in data.people if p[0] in data.visible]
    family_counts = Counter(fold(family) for _, _, family, _ in data.people)
    rare = rng.choice([p for p in visible if family_counts[fold(p[2])] == 1 and p[3]])
    dated = rng.choice([p for p in visible if p[3] is not None])
    smiths = [p for p in visible if fold(p[2]) == "smith" and p[3] is not None]
    smith = rng.choice(smiths) if smiths else dated
    with_identifier = rng.choice([pid for pid in data.identifiers if pid in data.visible])
    by_id = {p[0]: p for p in visible}
    return [
        Search("prefix 'smi'", name="smi"),
        Search("full name 'john smith'", name="john smith"),
        Search("accented 'sian' (Siân)", name="sian"),
        Search("rare exact name", name=f"{rare[1]} {rare[2]}", expect_person_id=rare[0],
               expect_text=rare[2]),
        Search("date of birth", date_of_birth=dated[3], expect_person_id=dated[0],
               expect_text=dated[2]),
        Search("identifier", identifier=data.identifiers[with_identifier][1],
               expect_person_id=with_identifier, expect_text=by_id[with_identifier][2]),
        Search(f"name + date of birth '{smith[2].lower()}'", name=smith[2].lower(),
               date_of_birth=smith[3], expect_person_id=smith[0], expect_text=smith[2]),
    ]  # fmt: skip


def selector_page(user: User, search: Search) -> tuple[int, list[Any]]:
    """What the search page asks of the selector: the count and the first page of people.

    The actor is new each time, as in a request: what the access policy caches per actor is
    paid on every call. Its membership is cached on the user, as the sign-in would have done.
    """
    from wraparound.accounts.actor import actor_for_user
    from wraparound.core.pagination import CappedPaginator
    from wraparound.people.selectors import person_search

    actor = actor_for_user(user, via="web")
    page = CappedPaginator(person_search(actor=actor, **search.criteria()), PAGE_SIZE).get_page(1)
    return page.paginator.count, list(page)


def timed(
    mix: Sequence[Search], iterations: int, fn: Callable[[Search], object]
) -> dict[str, list[float]]:
    """Warm up on every search, then time ``iterations`` calls spread evenly over the mix."""
    from django.db import connection

    for _ in range(WARMUP_ROUNDS):
        for search in mix:
            fn(search)
    gc.collect()
    samples: dict[str, list[float]] = {s.label: [] for s in mix}
    for i in range(iterations):
        search = mix[i % len(mix)]
        connection.ensure_connection()  # a closed connection is the HTTP layer's cost only
        samples[search.label].append(time_ms(functools.partial(fn, search)))
    return samples


def _flatten(samples: dict[str, list[float]]) -> list[float]:
    return [ms for values in samples.values() for ms in values]


# --- One backend (child process) ----------------------------------------------------------


def run_backend(backend: str, n_people: int, iterations: int, seed: int) -> dict[str, Any]:
    database = (
        temporary_sqlite_database("bench-person-search-")
        if backend == "sqlite"
        # One database per run, so that two runs at once do not drop each other's.
        else fresh_postgres_database(f"bench_person_search_{os.getpid()}")
    )
    with database as url, tempfile.TemporaryDirectory(prefix="bench-var-") as var_dir:
        setup_django(url, var_dir=Path(var_dir))
        from django.db import connections

        try:
            return measure_backend(backend, n_people, iterations, seed)
        finally:
            connections.close_all()


def measure_backend(backend: str, n_people: int, iterations: int, seed: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    assert vendor() == ("sqlite" if backend == "sqlite" else "postgresql")
    rng = random.Random(seed)
    started = time.perf_counter()
    migrate()
    migrate_s = time.perf_counter() - started
    log(f"{backend}: migrated in {migrate_s:.1f}s; loading {n_people:,} people")
    started = time.perf_counter()
    data = load(n_people, rng)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    analyze()
    analyze_s = time.perf_counter() - started
    log(f"{backend}: loaded in {load_s:.1f}s, analysed in {analyze_s:.1f}s")

    mix = searches(data, rng)
    user = data.keyworker
    checks: list[str] = []
    statements: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
    found: dict[str, int] = {}
    for search in mix:
        selector_page(user, search)  # first, so that only the steady state is captured
        (count, page), statements[search.label] = capture_sql(
            functools.partial(selector_page, user, search)
        )
        found[search.label] = count
        if search.expect_person_id and search.expect_person_id not in {p.pk for p in page}:
            checks.append(f"{search.label}: the expected person is not on the first page")

    log(f"{backend}: timing the selector ({iterations} calls)")
    selector = timed(mix, iterations, lambda s: selector_page(user, s))
    log(f"{backend}: timing the raw SQL ({iterations} runs)")
    raw = timed(mix, iterations, lambda s: run_sql(statements[s.label]))

    http: dict[str, list[float]] | None = None
    http_note = ""
    try:
        url = reverse("people:search")
    except NoReverseMatch:
        http_note = "the search page (people:search) does not exist yet"
        log(f"{backend}: {http_note}; HTTP not measured")
    else:
        client = Client()
        client.force_login(data.keyworker)
        for search in mix:
            response = client.get(f"{url}?{search.query_string()}")
            body = response.content.decode()
            if response.status_code != 200:
                checks.append(f"HTTP {search.label}: status {response.status_code}")
            elif search.expect_text and html.escape(search.expect_text) not in body:
                checks.append(f"HTTP {search.label}: {search.expect_text!r} not on the page")

        def get(search: Search) -> None:
            response = client.get(f"{url}?{search.query_string()}")
            assert response.status_code == 200, response.status_code

        log(f"{backend}: timing the HTTP page ({iterations} requests)")
        http = timed(mix, iterations, get)

    for message in checks:
        log(f"{backend}: CHECK {message}")
    plans = {
        label: [explain(sql, params) for sql, params in stmts]
        for label, stmts in statements.items()
    }
    per_query = {
        s.label: {
            "matches": found[s.label],
            "statements": len(statements[s.label]),
            "selector": Stats.of(selector[s.label]).as_dict(),
            "raw_sql": Stats.of(raw[s.label]).as_dict(),
            "http": Stats.of(http[s.label]).as_dict() if http else None,
        }
        for s in mix
    }
    return {
        "backend": backend,
        "n_people": n_people,
        "iterations": iterations,
        "rows": data.rows,
        "migrate_s": round(migrate_s, 1),
        "load_s": round(load_s, 1),
        "analyze_s": round(analyze_s, 1),
        "selector": Stats.of(_flatten(selector)).as_dict(),
        "raw_sql": Stats.of(_flatten(raw)).as_dict(),
        "http": Stats.of(_flatten(http)).as_dict() if http else None,
        "http_note": http_note,
        "per_query": per_query,
        "plans": plans,
        "sql": {label: [sql for sql, _ in stmts] for label, stmts in statements.items()},
        "checks": checks,
        "machine": machine(),
    }


# --- Parent: run the backends, print the table and the summary ------------------------------


def summarise(results: dict[str, dict[str, Any]], skipped: dict[str, str]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "benchmark": "person_search",
        "backends": list(results),
        "target_selector_p95_ms": TARGET_SELECTOR_P95_MS,
    }
    if skipped:
        summary["skipped"] = skipped
    for backend, result in results.items():
        summary["n_people"] = result["n_people"]
        summary["iterations"] = result["iterations"]
        for layer in ("selector", "http", "raw_sql"):
            stats = result[layer]
            for p in ("p50", "p95"):
                summary[f"{backend}_{layer}_{p}_ms"] = stats[f"{p}_ms"] if stats else None
        raw_p50 = result["raw_sql"]["p50_ms"]
        summary[f"{backend}_selector_vs_raw_sql"] = ratio(result["selector"]["p50_ms"], raw_p50)
        summary[f"{backend}_http_vs_raw_sql"] = (
            ratio(result["http"]["p50_ms"], raw_p50) if result["http"] else None
        )
        summary[f"{backend}_met"] = result["selector"]["p95_ms"] <= TARGET_SELECTOR_P95_MS
        summary[f"{backend}_load_average"] = result["machine"]["load_average"][0]

    def worst(key: str) -> float | None:
        values = [summary[f"{b}_{key}"] for b in results if summary[f"{b}_{key}"] is not None]
        return max(values) if values else None

    for layer in ("selector", "http", "raw_sql"):
        for p in ("p50", "p95"):
            summary[f"{layer}_{p}_ms"] = worst(f"{layer}_{p}_ms")
    summary["selector_vs_raw_sql"] = worst("selector_vs_raw_sql")
    summary["http_vs_raw_sql"] = worst("http_vs_raw_sql")
    summary["met"] = bool(results) and all(summary[f"{b}_met"] for b in results)
    return summary


def _fmt(value: float | None, width: int = 8) -> str:
    return f"{value:{width}.1f}" if value is not None else f"{'-':>{width}}"


def print_report(
    results: dict[str, dict[str, Any]], summary: dict[str, Any], *, show_plans: bool
) -> None:
    if not results:
        print("person_search: no backend could run")
        return
    any_result = next(iter(results.values()))
    print(
        f"\nPerson search over {any_result['n_people']:,} people: "
        f"{any_result['iterations']} timed calls per layer, spread over "
        f"{len(any_result['per_query'])} searches (target: selector p95 <= "
        f"{TARGET_SELECTOR_P95_MS:.0f} ms)\n"
    )
    print(f"{'backend':10} {'layer':10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  x raw SQL (p50)")
    for backend, result in results.items():
        raw_p50 = result["raw_sql"]["p50_ms"]
        for layer, title in (("selector", "selector"), ("http", "HTTP"), ("raw_sql", "raw SQL")):
            stats = result[layer]
            times = (
                f"{_fmt(stats['p50_ms'])} {_fmt(stats['p95_ms'])} {_fmt(stats['max_ms'])}"
                if stats
                else f"{'not measured: ' + result['http_note']}"
            )
            factor = f"  {stats['p50_ms'] / raw_p50:5.1f}x" if stats and raw_p50 else ""
            print(f"{backend:10} {title:10} {times}{factor}")
        rows = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result["rows"].items())
        load = result["machine"]["load_average"][0]
        print(f"{'':10} data: {rows}; loaded in {result['load_s']}s; load average {load}")
    print("\nPer search, p50 / p95 ms (SQL: statements the selector runs)")
    print(f"{'backend':10} {'search':38} {'matches':>7} {'SQL':>3}  {'selector':>13}  "
          f"{'HTTP':>13}  {'raw SQL':>13}")  # fmt: skip
    for backend, result in results.items():
        for label, q in result["per_query"].items():
            cells = []
            for layer in ("selector", "http", "raw_sql"):
                stats = q[layer]
                cells.append(
                    f"{_fmt(stats['p50_ms'], 6)}/{_fmt(stats['p95_ms'], 6)}"
                    if stats
                    else f"{'-':>13}"
                )
            print(
                f"{backend:10} {label:38} {q['matches']:7,} {q['statements']:3}  {'  '.join(cells)}"
            )
    for backend, result in results.items():
        for message in result["checks"]:
            print(f"CHECK {backend}: {message}")
    verdict = "met" if summary["met"] else "MISSED"
    print(
        f"\nSelector p95 {summary['selector_p95_ms']} ms (worse backend): target "
        f"{TARGET_SELECTOR_P95_MS:.0f} ms {verdict}."
    )
    for backend, result in results.items():
        slow = [
            label
            for label, q in result["per_query"].items()
            if show_plans or q["selector"]["p95_ms"] > TARGET_SELECTOR_P95_MS
        ]
        for label in slow:
            print(f"\n--- {backend} plan: {label}")
            for sql, plan in zip(result["sql"][label], result["plans"][label], strict=True):
                print(f"{sql}\n{plan}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=200, help="timed calls per layer")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--explain", action="store_true", help="print every query's plan")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.people < 1_000 or args.iterations < 7:
        parser.error("use at least 1,000 people and 7 iterations")

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
