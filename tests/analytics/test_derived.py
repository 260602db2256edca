"""The shortcuts that make dashboards fast at a million people give the same answers as the
plain definitions, on a random store with every kind of row (ADR 0017):

- an outcome's series over several days (one pass over dated units and cohort spans) equals
  applying the filters as of each day and counting;
- the cohort's spans hold exactly the people of ``cohort`` on each day;
- the period's services per month (whole months pre-summed, part-months from the events)
  equal the events of the period summed;
- skipping the cohort cut when the cohort is everyone changes nothing;
- every outcome counted in one pass per kind equals each counted alone;
- a period's first activity, people, people served and services, read as filters from rows
  kept by day with the previous day and the totals since, equal the period's activity;
- the matched evaluation's people, from need spans kept at refresh, equal the plain
  definition over every score day and crisis event as of the day."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest

from tests.analytics.synthetic import person, write_store
from wraparound.analytics.costs import SUPPORT_AFTER_ENTRY
from wraparound.analytics.evaluation import FOLLOW_UP_DAYS, PEOPLE_SQL
from wraparound.analytics.filters import (
    Filters,
    apply_filters,
    cohort_spans_sql,
    open_filtered,
    own_rows_hold_for_everyone,
    period_first_active_sql,
    view_definitions,
)
from wraparound.analytics.outcomes import (
    CRISIS_COUNTS,
    CRISIS_PEOPLE,
    OUTCOMES,
    count_by_organisation,
    count_outcomes,
    series,
)
from wraparound.analytics.reports import quarter_ends

D = dt.date
AS_OF = D(2026, 3, 31)
START = D(2024, 1, 1)
DOMAINS = ("housing", "income", "food", "safety", "health_care", "mental_health")
TIERS = ("light_touch", "supported", "intensive")


def _day(rng: random.Random, after: dt.date = START, span: int = 800) -> dt.date:
    return after + dt.timedelta(days=rng.randrange(span))


@pytest.fixture
def store(settings, tmp_path):
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    rng = random.Random(20261207)
    tables: dict[str, list[dict]] = {
        k: []
        for k in (
            "people",
            "assessments",
            "domain_scores",
            "enrolments",
            "service_events",
            "crisis_events",
            "goals",
            "referrals",
        )
    }
    assessment_id = event_id = 0
    for i in range(120):
        key = f"p{i:03d}"
        registered = _day(rng, span=500)
        managed = rng.random() < 0.6
        opened = registered + dt.timedelta(days=rng.randrange(60)) if managed else None
        stepped = opened + dt.timedelta(days=rng.randrange(100, 400)) if managed and i % 3 else None
        tables["people"].append(
            person(
                key,
                network_id=1 if i % 10 else 2,
                area_code=f"N{i % 4}",
                district_code=f"D{i % 2}",
                population_groups=["homeless"] if i % 5 == 0 else [],
                registered_on=registered,
                case_managed=managed,
                case_opened_on=opened,
                stepped_down_on=stepped,
                lead_organisation_id=(10 + i % 3) if managed else None,
            )
        )
        day = registered
        for _ in range(rng.randrange(1, 5)):
            day = day + dt.timedelta(days=rng.choice([0, 20, 90, 150, 200]))
            assessment_id += 1
            tables["assessments"].append(
                {
                    "assessment_id": assessment_id,
                    "person_key": key,
                    "completed_on": day,
                    "tier": rng.choice((*TIERS, None)),
                }
            )
            for domain in DOMAINS:
                tables["domain_scores"].append(
                    {
                        "assessment_id": assessment_id,
                        "person_key": key,
                        "completed_on": day,
                        "domain": domain,
                        "score": rng.randrange(1, 6),
                    }
                )
        for n in range(rng.randrange(3)):
            started = _day(rng, registered, 300)
            org = 10 + rng.randrange(4)
            tables["enrolments"].append(
                {
                    "enrolment_id": i * 10 + n,
                    "person_key": key,
                    "organisation_id": org,
                    "service_id": org * 10,
                    "started_on": started,
                }
            )
            for _ in range(rng.randrange(12)):
                event_id += 1
                tables["service_events"].append(
                    {
                        "event_id": event_id,
                        "person_key": key,
                        "enrolment_id": i * 10 + n,
                        "service_id": org * 10,
                        # Now and then delivered by a partner: a person may have a service
                        # from two organisations.
                        "organisation_id": org if rng.random() < 0.8 else 10 + (org + 1) % 4,
                        "on": _day(rng, started, 200),
                        "units": 1.0 + rng.randrange(3),
                        "cost": rng.choice([None, 25.0, 40.0]),
                    }
                )
        for _ in range(rng.randrange(4)):
            tables["crisis_events"].append(
                {"person_key": key, "kind": "shelter_night", "occurred_on": _day(rng)}
            )
        if managed:
            agreed = opened + dt.timedelta(days=10)
            target = agreed + dt.timedelta(days=rng.randrange(30, 300))
            achieved = target + dt.timedelta(days=rng.randrange(-60, 60))
            tables["goals"].append(
                {
                    "person_key": key,
                    "need": "housing-instability",
                    "agreed_on": agreed,
                    "target_on": target,
                    "achieved_on": achieved if rng.random() < 0.7 else None,
                }
            )
        if rng.random() < 0.5:
            sent = _day(rng, registered, 400)
            tables["referrals"].append(
                {
                    "referral_id": i,
                    "person_key": key,
                    "status": "requested",
                    "requested_at": dt.datetime.combine(sent, dt.time(12), tzinfo=dt.UTC),
                    "requested_on": sent,
                }
            )
    write_store(settings.ANALYTICS_DIR, tables)
    return tables


FILTERS = [
    Filters(),
    Filters(network_id=1),
    Filters(network_id=1, area="D1"),
    Filters(network_id=1, group="homeless"),
    Filters(network_id=1, organisation=11),
    Filters(network_id=1, tier="intensive"),
    Filters(network_id=1, start=D(2024, 9, 1)),
    Filters(network_id=1, tier="supported", organisation=12, start=D(2024, 6, 15)),
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f.describe())
def test_series_and_spans_equal_the_filters_applied_on_each_day(store, filters):
    days = quarter_ends(AS_OF)
    db = open_filtered(replace(filters, end=AS_OF))
    spans = cohort_spans_sql(filters)
    everyone = own_rows_hold_for_everyone(db, filters)
    # Two networks in the store: only filters without a network or place hold for everyone.
    assert everyone == (not filters.network_id)
    first_active = ""
    if filters.start:  # as the targets page does: each person's first activity made once
        db.execute("CREATE TEMP TABLE first_active AS " + period_first_active_sql(filters.start))
        first_active = "first_active"
    # As the targets page does: the spans without a tier made once, a tier added to them.
    db.execute("CREATE TEMP TABLE untiered AS " + cohort_spans_sql(replace(filters, tier="")))
    for outcome in OUTCOMES:
        in_one_pass, by_organisation = series(db, outcome, filters, days, by_organisation=True)
        assert series(db, outcome, filters, days, untiered="untiered")[0] == in_one_pass
        for tier in (*TIERS, ""):  # a target's own tier, or none
            tiered = replace(filters, tier=tier or filters.tier)
            plain = series(db, outcome, tiered, days, by_organisation=True)
            assert series(db, outcome, tiered, days, untiered="untiered")[0] == plain[0]
            if everyone:  # each person's known day, activity and tiers, not the people
                assert (
                    series(db, outcome, tiered, days, by_organisation=True, everyone=True) == plain
                ), (outcome.code, tier)
                assert (
                    series(db, outcome, tiered, days, everyone=True, first_active=first_active)[0]
                    == plain[0]
                ), (outcome.code, tier)
        for day in days:
            apply_filters(db, replace(filters, end=day))
            assert in_one_pass[day] == outcome.count(db), (outcome.code, day)
        # On the last day (applied last), each organisation's people as counted on their own.
        assert by_organisation == count_by_organisation(db, outcome), outcome.code
    for day in days:
        apply_filters(db, replace(filters, end=day))
        cohort = {k for (k,) in db.execute("SELECT person_key FROM cohort").fetchall()}
        spanned = {
            k
            for (k,) in db.execute(
                f"SELECT person_key FROM ({spans}) AS s WHERE member_from <= DATE '{day}' "  # noqa: S608
                f"AND (member_until IS NULL OR member_until > DATE '{day}')"
            ).fetchall()
        }
        assert spanned == cohort, day
    assert any(outcome.count(db)[1] for outcome in OUTCOMES)  # the store is not empty


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f.describe())
def test_outcomes_counted_together_equal_each_counted_alone(store, filters):
    db = open_filtered(replace(filters, end=AS_OF))
    for day in (D(2024, 12, 31), AS_OF):
        apply_filters(db, replace(filters, end=day))
        counts, domains = count_outcomes(db, need_change=True)
        assert counts == {o.code: o.count(db) for o in OUTCOMES}, day
        # Only some outcomes: the others are not counted.
        some, _ = count_outcomes(db, [OUTCOMES[2], OUTCOMES[-1]])
        assert some == {o.code: o.count(db) for o in (OUTCOMES[2], OUTCOMES[-1])}
        plain = db.execute(
            """SELECT domain, count(*), count(*) FILTER (WHERE latest_score > first_score),
                      count(*) FILTER (WHERE latest_score = first_score),
                      count(*) FILTER (WHERE latest_score < first_score),
                      avg(latest_score - first_score)
               FROM score_pairs GROUP BY domain ORDER BY domain"""
        ).fetchall()
        assert [tuple(row.values()) for row in domains] == plain, day
    assert any(total for _, total in counts.values())  # the store is not empty


@pytest.mark.parametrize("filters", FILTERS[:3] + FILTERS[5:], ids=lambda f: f.describe())
def test_crisis_and_support_after_entry_equal_the_events_up_to_the_day(store, filters):
    """The year after entry kept at refresh, less what came from the report's day on, is
    what the events up to that day give (crisis events by kind, and the cost of support)."""
    db = open_filtered(replace(filters, end=AS_OF))
    plain_crisis = f"""
        SELECT e.person_key, e.kind,
               count(*) FILTER (WHERE e.occurred_on >= p.entry - INTERVAL 365 DAY
                                  AND e.occurred_on < p.entry) AS before,
               count(*) FILTER (WHERE e.occurred_on >= p.entry
                                  AND date_diff('day', p.entry, e.occurred_on) < p.days_after)
        FROM ({CRISIS_PEOPLE}) p JOIN crisis_events e USING (person_key)
        GROUP BY ALL"""  # noqa: S608
    plain_support = f"""
        SELECT p.person_key, sum(e.cost) FROM ({CRISIS_PEOPLE}) p
        JOIN service_events e USING (person_key)
        WHERE e."on" >= p.entry AND date_diff('day', p.entry, e."on") < p.days_after
        GROUP BY ALL HAVING sum(e.cost) > 0"""  # noqa: S608
    checked = 0
    for day in (D(2024, 12, 31), D(2025, 6, 30), D(2025, 11, 15), AS_OF):
        apply_filters(db, replace(filters, end=day))
        kept = db.execute(
            f"WITH p AS ({CRISIS_PEOPLE}), c AS ({CRISIS_COUNTS}) SELECT * FROM c "  # noqa: S608
            "WHERE before > 0 OR after > 0 ORDER BY ALL"
        ).fetchall()
        assert kept == sorted(
            row for row in db.execute(plain_crisis).fetchall() if row[2] or row[3]
        ), day
        support = db.execute(
            f"WITH p AS ({CRISIS_PEOPLE}), s AS ({SUPPORT_AFTER_ENTRY}) SELECT * FROM s "  # noqa: S608
            "WHERE support > 0.001 ORDER BY ALL"
        ).fetchall()
        plain = sorted(db.execute(plain_support).fetchall())
        assert [k for k, _ in support] == [k for k, _ in plain], day
        assert [round(v, 6) for _, v in support] == [round(v, 6) for _, v in plain], day
        checked += len(kept) + len(support)
    assert checked  # the store has crisis events and support near entry


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (None, AS_OF),
        (D(2024, 3, 1), D(2025, 6, 30)),
        (D(2024, 3, 17), D(2025, 6, 12)),
        (D(2025, 2, 3), D(2025, 2, 20)),
        (D(2025, 2, 3), D(2025, 3, 2)),
        # To today, after the store's last activity: the last month is whole in the months.
        (None, None),
        (D(2025, 8, 17), None),
    ],
)
def test_period_services_equal_the_events_of_the_period(store, start, end):
    db = open_filtered(Filters(start=start, end=end))
    end = end or dt.date.today()
    summed = db.execute(
        "SELECT person_key, service_id, organisation_id, month, sum(events), sum(units), "
        "sum(cost) FROM period_service_months GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    since = f"AND day >= DATE '{start}'" if start else ""
    events = db.execute(
        "SELECT person_key, service_id, organisation_id, CAST(date_trunc('month', day) AS DATE), "  # noqa: S608
        "count(*), sum(units), sum(cost) "
        'FROM (SELECT *, "on" AS day FROM raw_service_events) AS e '
        f"WHERE day <= DATE '{end}' {since} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert summed == events
    assert events


@pytest.mark.parametrize(
    "filters",
    [
        Filters(start=D(2024, 9, 1)),
        Filters(network_id=1, start=D(2025, 11, 20)),
        Filters(network_id=1, tier="supported", organisation=12, start=D(2024, 6, 15)),
    ],
    ids=lambda f: f.describe(),
)
def test_a_period_to_the_present_reads_each_persons_last_activity(store, filters):
    """Past the store's last activity, "active in the period" is read from each person's
    last day of activity; it must pick exactly the people the period's activity does."""
    db = open_filtered(filters)  # no end: the period runs to today
    latest = db.execute("SELECT max(last_active_on) FROM raw_person_last_active").fetchone()[0]
    assert latest is not None and latest <= filters.as_of
    views = view_definitions(filters, latest_activity=latest)
    assert "raw_person_last_active" in views["cohort"]

    def cohort(views: dict[str, str]) -> set[str]:
        for name in ("person_tier", "people", "cohort"):
            db.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {views[name]}")
        return {k for (k,) in db.execute("SELECT person_key FROM cohort").fetchall()}

    from_last_activity = cohort(views)
    from_the_period = cohort(view_definitions(filters))
    assert from_last_activity == from_the_period
    assert from_the_period and len(from_the_period) < 120
    # Before the last activity, the period's own activity is read.
    assert (
        "raw_person_last_active"
        not in view_definitions(
            replace(filters, end=latest - dt.timedelta(days=1)), latest_activity=latest
        )["cohort"]
    )


# Each person's activity, plainly: every day they were assessed, referred or served.
ACTIVITY = """
    SELECT person_key, completed_on AS day FROM raw_assessments
    UNION ALL SELECT person_key, requested_on FROM raw_referrals
    UNION ALL SELECT person_key, "on" FROM raw_service_events"""


@pytest.mark.parametrize(
    ("start", "until"),
    [
        (START, None),
        (D(2024, 9, 1), None),
        (D(2024, 9, 17), D(2025, 2, 3)),
        (D(2025, 11, 20), D(2025, 11, 30)),
        (D(2026, 2, 1), None),
    ],
)
def test_first_activity_in_a_period_is_the_earliest_activity_since_its_start(store, start, until):
    """The first day of activity on or after a start (read as a filter from each person's
    days of activity) is the earliest of their assessments, referrals and services since
    then; with an end, only for people active by it."""
    db = open_filtered(Filters())
    bound = f"DATE '{until}'" if until else ""
    found = db.execute(
        "SELECT person_key, first_active FROM "  # noqa: S608
        f"({period_first_active_sql(start, until=bound)}) AS f ORDER BY ALL"
    ).fetchall()
    before = f"AND day <= {bound}" if until else ""
    plain = db.execute(
        f"SELECT person_key, min(day) FROM ({ACTIVITY}) AS a "  # noqa: S608
        f"WHERE day >= DATE '{start}' {before} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert found == plain and found
    assert len({key for key, _ in found}) == len(found)  # one row per person


@pytest.mark.parametrize(
    "filters",
    [
        Filters(start=D(2024, 9, 1), end=D(2025, 3, 10)),
        Filters(network_id=1, start=D(2025, 2, 3), end=D(2025, 6, 30)),
        Filters(network_id=1, tier="supported", start=D(2025, 1, 10), end=D(2025, 4, 30)),
        Filters(network_id=1, organisation=11, start=D(2024, 3, 17), end=D(2025, 1, 1)),
    ],
    ids=lambda f: f.describe(),
)
def test_the_people_active_in_a_period_are_those_with_activity_in_it(store, filters):
    """A period that ends before the store's last activity: its people are those assessed,
    referred or served within it (who meet the other filters)."""
    db = open_filtered(filters)
    cohort = {k for (k,) in db.execute("SELECT person_key FROM cohort").fetchall()}
    active = {
        k
        for (k,) in db.execute(
            f"SELECT person_key FROM ({ACTIVITY}) AS a "  # noqa: S608
            f"WHERE day BETWEEN DATE '{filters.start}' AND DATE '{filters.end}'"
        ).fetchall()
    }
    without_period = view_definitions(replace(filters, start=None))["cohort"]
    unfiltered = {
        k
        for (k,) in db.execute(f"SELECT person_key FROM ({without_period})").fetchall()  # noqa: S608
    }
    assert cohort == active & unfiltered
    assert cohort and cohort != unfiltered


@pytest.mark.parametrize(
    "filters",
    [
        Filters(start=D(2025, 8, 17)),
        Filters(start=D(2024, 2, 1)),
        Filters(network_id=1, area="D1", start=D(2025, 3, 9)),
        Filters(network_id=1, tier="supported", organisation=12, start=D(2024, 6, 15)),
    ],
    ids=lambda f: f.describe(),
)
def test_services_in_a_period_to_the_present_are_the_totals_since_its_start(store, filters):
    """A period to the present reads each person's services since the period's start, kept
    at refresh (per person, service and organisation, and per person with their district
    and whether case managed); they must equal the cohort's events in the period summed."""
    db = open_filtered(filters)  # no end: to today
    for view in ("period_person_services", "period_people_served"):
        sql = db.execute(
            f"SELECT sql FROM duckdb_views() WHERE view_name = '{view}'"  # noqa: S608
        ).fetchone()[0]
        assert "events_since" in sql
    since = f"e.\"on\" >= DATE '{filters.start}'"
    served_plain = (
        "SELECT e.person_key, count(*), sum(e.units), sum(e.cost), any_value(p.district_code), "  # noqa: S608
        "any_value(p.case_managed) FROM raw_service_events e JOIN cohort p USING (person_key) "
        f"WHERE {since} GROUP BY ALL ORDER BY ALL"
    )
    services_plain = (
        "SELECT e.person_key, e.service_id, e.organisation_id, count(*), sum(e.units), "  # noqa: S608
        "sum(e.cost) FROM raw_service_events e JOIN cohort p USING (person_key) "
        f"WHERE {since} GROUP BY ALL ORDER BY ALL"
    )
    served = (
        "SELECT person_key, events, units, cost, district_code, case_managed "
        "FROM period_people_served ORDER BY ALL"
    )
    services = (
        "SELECT person_key, service_id, organisation_id, sum(events), sum(units), sum(cost) "
        "FROM period_person_services GROUP BY ALL ORDER BY ALL"
    )
    expected = db.execute(served_plain).fetchall(), db.execute(services_plain).fetchall()
    assert all(expected)
    assert (db.execute(served).fetchall(), db.execute(services).fetchall()) == expected
    # The same through the plain view definitions (cut by the cohort's conditions rather
    # than its members, and never skipping the cut).
    latest = db.execute("SELECT max(last_active_on) FROM raw_person_last_active").fetchone()[0]
    for name, sql in view_definitions(filters, latest_activity=latest).items():
        db.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
    assert (db.execute(served).fetchall(), db.execute(services).fetchall()) == expected


@pytest.mark.parametrize("filters", [Filters(), Filters(network_id=1, area="D1")], ids=str)
def test_all_time_services_per_person_are_the_totals_kept_at_refresh(store, filters):
    """A period from the beginning to the present reads each person's service totals kept
    at refresh; they must equal the cohort's events summed, and a period that ends before
    the last activity must still sum its own months."""
    db = open_filtered(filters)
    assert (
        "raw_person_service_totals"
        in db.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = 'period_person_services'"
        ).fetchone()[0]
    )
    # Rows to be summed (the kept totals are one per person, service and organisation).
    query = (
        "SELECT person_key, service_id, organisation_id, sum(events), sum(units), sum(cost) "
        "FROM period_person_services GROUP BY ALL ORDER BY ALL"
    )
    kept = db.execute(query).fetchall()
    people = (
        "SELECT person_key, events, units, cost, district_code, case_managed "
        "FROM period_people_served ORDER BY ALL"
    )
    people_summed = (
        "SELECT e.person_key, sum(e.events), sum(e.units), sum(e.cost), "
        "any_value(p.district_code), any_value(p.case_managed) "
        "FROM period_person_services e JOIN raw_people p USING (person_key) "
        "GROUP BY ALL ORDER BY ALL"
    )
    assert (
        "raw_person_served_totals"
        in db.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = 'period_people_served'"
        ).fetchone()[0]
    )
    assert db.execute(people).fetchall() == db.execute(people_summed).fetchall()
    summed = db.execute(
        "SELECT person_key, service_id, organisation_id, count(*), sum(units), sum(cost) "
        "FROM raw_service_events WHERE person_key IN (SELECT person_key FROM cohort) "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert kept == summed and kept
    apply_filters(db, replace(filters, end=AS_OF))
    assert (
        "raw_person_service_totals"
        not in db.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = 'period_person_services'"
        ).fetchone()[0]
    )
    to_as_of = db.execute(query).fetchall()
    assert db.execute(people).fetchall() == db.execute(people_summed).fetchall()
    assert (
        to_as_of
        == db.execute(
            "SELECT person_key, service_id, organisation_id, count(*), sum(units), sum(cost) "  # noqa: S608
            "FROM raw_service_events WHERE person_key IN (SELECT person_key FROM cohort) "
            f"AND \"on\" <= DATE '{AS_OF}' GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    )
    assert to_as_of != kept


def test_skipping_the_cut_for_everyone_changes_nothing(store):
    db = open_filtered(Filters(end=AS_OF))  # every person of the store: no cut
    assert (
        "FROM cohort"
        not in db.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = 'score_pairs'"
        ).fetchone()[0]
    )
    skipped = [outcome.count(db) for outcome in OUTCOMES]
    for name, sql in view_definitions(Filters(end=AS_OF), everyone=False).items():
        db.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
    assert [outcome.count(db) for outcome in OUTCOMES] == skipped
    # Someone left out: the views are cut.
    apply_filters(db, Filters(network_id=1, end=AS_OF))
    assert (
        "FROM cohort"
        in db.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'score_pairs'").fetchone()[
            0
        ]
    )


def test_a_period_to_the_present_skips_the_cut_of_its_services_only_for_everyone_active(store):
    """When the cohort is everyone active in a period running to the present, the period's
    services and referrals (whose people are all active in it) are not cut, with the same
    rows; when a filter leaves some of them out, they are."""
    queries = {
        "period_service_months": (
            "SELECT person_key, service_id, organisation_id, month, sum(events), sum(units), "
            "sum(cost) FROM period_service_months GROUP BY ALL ORDER BY ALL"
        ),
        "period_referral_waits": "SELECT * FROM period_referral_waits ORDER BY ALL",
    }

    def views(db) -> list[str]:  # type: ignore[no-untyped-def]
        return [
            db.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0]
            for name in queries
        ]

    def rows(db) -> list[list[tuple]]:  # type: ignore[no-untyped-def]
        return [db.execute(query).fetchall() for query in queries.values()]

    everyone_active = Filters(start=D(2025, 8, 17))  # no end: to today
    db = open_filtered(everyone_active)
    assert not any("cut_members" in view for view in views(db))
    skipped = rows(db)
    latest = db.execute("SELECT max(last_active_on) FROM raw_person_last_active").fetchone()[0]
    for name, sql in view_definitions(
        everyone_active, members="cohort_members", latest_activity=latest
    ).items():
        db.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
    assert all("cut_members" in view for view in views(db))
    assert rows(db) == skipped and all(skipped)
    # The period's referrals are those requested in it.
    assert (
        skipped[1]
        == db.execute(
            "SELECT * FROM raw_referral_waits WHERE requested_on >= DATE '2025-08-17' ORDER BY ALL"
        ).fetchall()
    )
    # Some of the people active in the period left out (another network), or a period
    # ending before the last activity: cut.
    apply_filters(db, Filters(network_id=1, start=D(2025, 8, 17)))
    assert all("cut_members" in view for view in views(db))
    apply_filters(db, Filters(start=D(2024, 8, 17), end=D(2025, 8, 17)))
    assert all("cut_members" in view for view in views(db))


def test_a_snapshot_without_a_database_is_read_from_its_parquet_files(store, settings):
    """A snapshot written before snapshots had a database still serves the dashboards
    (the derived tables as views over its Parquet files), with the same figures."""
    from wraparound.analytics import filters as filters_module
    from wraparound.analytics.store import DATABASE, current_snapshot

    with_database = [outcome.count(open_filtered(Filters(end=AS_OF))) for outcome in OUTCOMES]
    (current_snapshot() / DATABASE).unlink()
    filters_module._shared.clear()
    db = open_filtered(Filters(end=AS_OF))
    assert not db.execute(
        "SELECT count(*) FROM duckdb_databases() WHERE database_name = 'store'"
    ).fetchone()[0]
    assert [outcome.count(db) for outcome in OUTCOMES] == with_database


# The evaluation's people, plainly: every score day and crisis event as of the day.
PLAIN_EVALUATION_PEOPLE = f"""
WITH spans AS (
    SELECT person_key, min(completed_on) AS first_on, max(completed_on) AS last_on
    FROM score_days GROUP BY person_key
    HAVING date_diff('day', min(completed_on), max(completed_on)) >= {FOLLOW_UP_DAYS}
), first_mean AS (
    SELECT s.person_key, s.score_sum / s.scores AS baseline
    FROM score_days s JOIN spans p ON s.person_key = p.person_key AND s.completed_on = p.first_on
), last_mean AS (
    SELECT s.person_key, s.score_sum / s.scores AS latest
    FROM score_days s JOIN spans p ON s.person_key = p.person_key AND s.completed_on = p.last_on
), crises AS (
    SELECT p.person_key, count(e.person_key) AS events,
           least(date_diff('day', p.first_on, as_of()), 365) AS days
    FROM spans p LEFT JOIN crisis_events e ON e.person_key = p.person_key
         AND e.occurred_on >= p.first_on AND date_diff('day', p.first_on, e.occurred_on) < 365
    GROUP BY p.person_key, p.first_on
)
SELECT c.person_key,
       c.case_managed AND c.case_opened_on <= p.first_on + INTERVAL 60 DAY AS treated,
       coalesce(c.age_band, 'unknown') AS age_band,
       coalesce(c.district_code, 'unknown') AS district,
       coalesce(list_sort(c.population_groups)[1], 'none') AS population_group,
       floor(f.baseline) AS baseline_band,
       f.baseline, l.latest - f.baseline AS change,
       x.events * 365.0 / greatest(x.days, 1) AS crises_per_year
FROM cohort c JOIN spans p USING (person_key) JOIN first_mean f USING (person_key)
     JOIN last_mean l USING (person_key) JOIN crises x USING (person_key)
WHERE NOT c.case_managed OR c.case_opened_on <= p.first_on + INTERVAL 60 DAY
"""  # noqa: S608 (a constant)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f.describe())
@pytest.mark.parametrize("day", [D(2024, 9, 30), "a crisis day", AS_OF, None])
def test_evaluation_people_equal_their_scores_and_crises_as_of_the_day(store, filters, day):
    """The evaluation's people, read from each person's need spans and the crisis count of
    the year from their first assessment (less those after the day), equal the plain
    definition over every score day and crisis event as of the day (including one with
    crisis events on it)."""
    db = open_filtered(filters)
    if day == "a crisis day":  # the busiest day of crises counted in someone's first year
        day = db.execute(
            "SELECT occurred_on FROM raw_crises_after_first GROUP BY 1 ORDER BY count(*) DESC, 1 "
            "LIMIT 1"
        ).fetchone()[0]
    db = open_filtered(replace(filters, end=day))
    found = db.execute(f"SELECT * FROM ({PEOPLE_SQL}) AS p ORDER BY 1").fetchall()  # noqa: S608
    plain = db.execute(f"SELECT * FROM ({PLAIN_EVALUATION_PEOPLE}) AS p ORDER BY 1").fetchall()  # noqa: S608
    assert found == plain
    if filters == Filters() and day is None:
        assert len(found) > 20 and any(row[-1] for row in found)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(start=D(2024, 9, 1)),
        Filters(network_id=1, area="D1", start=D(2024, 6, 1)),
        Filters(start=D(2024, 9, 1), end=AS_OF),
        Filters(organisation=11, start=D(2024, 3, 1)),
    ],
    ids=lambda f: f.describe(),
)
def test_outputs_of_people_served_equal_the_events_of_the_period(store, filters):
    """The outputs' services by service and people served by district and group, whichever
    rows they are read from (kept per person for a period to the present, summed
    otherwise), equal the cohort's events in the period summed."""
    from wraparound.analytics.outcomes import SMALL_NUMBER
    from wraparound.analytics.reports import outputs

    db = open_filtered(filters)
    result = {table.code: table.rows for table in outputs(db, filters).tables}
    since = f"\"on\" >= DATE '{filters.start}'" if filters.start else "TRUE"
    own = f"organisation_id = {filters.organisation}" if filters.organisation else "TRUE"
    events = (
        "SELECT e.*, p.district_code FROM raw_service_events e JOIN cohort p USING (person_key) "  # noqa: S608
        f"WHERE {since} AND \"on\" <= DATE '{filters.as_of}' AND {own}"
    )

    def shown(rows: list[tuple], *, named: bool = True) -> list[tuple]:
        """Rows as the report shows them (small numbers of people suppressed), in order;
        without the name in the first column unless ``named`` (services are named from
        the directory, which this store has not)."""
        return sorted(
            tuple(round(float(v), 1) if isinstance(v, float) else v for v in row)[
                0 if named else 1 :
            ]
            for row in rows
            if row[1] >= SMALL_NUMBER
        )

    by_service = db.execute(
        f"SELECT service_id, count(DISTINCT person_key), count(*), sum(units), sum(cost) "  # noqa: S608
        f"FROM ({events}) AS e GROUP BY ALL"
    ).fetchall()
    assert shown(by_service, named=False) == shown(
        [
            (r["service"], r["people"], r["service_events"], r["units"], r["cost"])
            for r in result["by_service"]
            if r["people"] is not None
        ],
        named=False,
    )
    assert shown(by_service), "nothing to compare: every service suppressed"
    by_district = db.execute(
        f"SELECT district_code, count(DISTINCT person_key), count(*), sum(cost) "  # noqa: S608
        f"FROM ({events}) AS e GROUP BY ALL"
    ).fetchall()
    assert shown(by_district) == shown(
        [
            (r["district"], r["people"], r["service_events"], r["cost"])
            for r in result["by_district"]
            if r["people"] is not None
        ]
    )
    assert shown(by_district), "nothing to compare: every district suppressed"
