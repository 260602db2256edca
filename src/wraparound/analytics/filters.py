"""Dashboard filters: period, area (place-based), population group and organisation.

Filters arrive as query parameters, are checked against the network's reference data (an
area code, group or organisation that does not exist is an error naming it, never an empty
chart that looks like "nobody"), and become DuckDB views over the store: ``cohort`` (the
people a report is about) and the event tables cut to the period.

What each filter means, once for every report:

- **period** (``from``/``to``, ISO dates): outputs count events inside it; outcomes are
  computed as they stood on its last day, for people active in it (an assessment,
  referral, enrolment or service in the period).
- **area**: people whose neighbourhood is the area or lies in it (a district code takes its
  neighbourhoods).
- **group**: people in that population group.
- **organisation**: people the organisation served (an enrolment) or whose case it leads;
  outputs count that organisation's own activity.
- **tier**: people whose latest tier (on the period's last day) is that tier.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
from django.http import QueryDict
from django.utils import timezone

from wraparound.assessments.models import Tier
from wraparound.people.choices import PopulationGroup


class FilterError(ValueError):
    """A filter names something the network does not have, or a period that cannot be."""


@dataclass(frozen=True)
class Filters:
    network_id: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    area: str = ""  # an area code
    area_name: str = ""
    group: str = ""
    organisation: int | None = None
    organisation_name: str = ""
    tier: str = ""

    @property
    def as_of(self) -> dt.date:
        """The day outcomes are computed for: the period's end, or today."""
        today = timezone.localdate()
        return min(self.end, today) if self.end else today

    def query_string(self) -> str:
        values = {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "area": self.area,
            "group": self.group,
            "organisation": str(self.organisation or ""),
            "tier": self.tier,
        }
        return urlencode({k: v for k, v in values.items() if v})

    def describe(self) -> str:
        """The filters in words, for summaries, captions and CSV names."""
        parts = []
        if self.start or self.end:
            parts.append(f"from {self.start:%d %b %Y}" if self.start else "from the beginning")
            parts.append(f"to {self.end:%d %b %Y}" if self.end else "to today")
        if self.area:
            parts.append(f"in {self.area_name or self.area}")
        if self.group:
            parts.append(f"population group: {PopulationGroup(self.group).label}")
        if self.organisation:
            parts.append(f"organisation: {self.organisation_name}")
        if self.tier:
            parts.append(f"tier: {Tier(self.tier).label}")
        return ", ".join(parts) if parts else "the whole network, all time"

    def with_as_of(self, day: dt.date) -> Filters:
        return replace(self, end=day)


def _date(value: str, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"The {label} date '{value}' is not a date (use YYYY-MM-DD).") from None


def parse_filters(params: QueryDict | dict[str, Any], *, network_id: int) -> Filters:
    """Filters from query parameters, each checked against the network; unknown ones raise
    ``FilterError`` with what was wrong."""
    from wraparound.core.models import Area
    from wraparound.directory.models import Organisation

    get = params.get
    start = _date(str(get("from") or "").strip(), "start")
    end = _date(str(get("to") or "").strip(), "end")
    if start and end and end < start:
        raise FilterError("The period ends before it starts.")
    area_code = str(get("area") or "").strip()
    area_name = ""
    if area_code:
        area = Area.objects.filter(network_id=network_id, code=area_code).first()
        if area is None:
            raise FilterError(f"There is no area with the code '{area_code}' in this network.")
        area_name = area.name
    group = str(get("group") or "").strip()
    if group and group not in PopulationGroup.values:
        raise FilterError(f"There is no population group '{group}'.")
    organisation_id: int | None = None
    organisation_name = ""
    raw_org = str(get("organisation") or "").strip()
    if raw_org:
        found = (
            Organisation.objects.filter(network_id=network_id, pk=int(raw_org)).first()
            if raw_org.isdigit()
            else None
        )
        if found is None:
            raise FilterError(f"There is no organisation '{raw_org}' in this network.")
        organisation_id, organisation_name = found.pk, found.name
    tier = str(get("tier") or "").strip()
    if tier and tier not in Tier.values:
        raise FilterError(f"There is no tier '{tier}'.")
    return Filters(
        network_id=network_id,
        tier=tier,
        start=start,
        end=end,
        area=area_code,
        area_name=area_name,
        group=group,
        organisation=organisation_id,
        organisation_name=organisation_name,
    )


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


# Tables with a day column that outcomes must not see beyond the day they are computed for.
DATED = {
    "assessments": "completed_on",
    "domain_scores": "completed_on",
    "needs": "completed_on",
    "crisis_events": "occurred_on",
    "service_events": '"on"',
    "enrolments": "started_on",
    "referrals": "requested_on",
    "referral_transitions": '"on"',
    "satisfaction": "sent_on",
    "goals": "agreed_on",
}


# The derived tables (``derived.py``) the outcomes read, as they stood on the report's day.
DERIVED_AS_OF = {
    "score_pairs": "valid_from <= as_of() AND (valid_until IS NULL OR valid_until > as_of())",
    "score_days": "completed_on <= as_of()",
    "crisis_near_entry": "occurred_on <= as_of()",
    "support_after_entry": '"on" <= as_of()',
    "referral_waits": "requested_on <= as_of()",
    "need_spans": "valid_from <= as_of() AND (valid_until IS NULL OR valid_until > as_of())",
}


def _first_whole_month(start: dt.date) -> dt.date:
    """The first day of the first month wholly on or after ``start``."""
    if start.day == 1:
        return start
    return dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _period_parts(filters: Filters, *, to_the_present: bool = False) -> tuple[str, str]:
    """The conditions that pick the period's whole months from ``service_months`` and its
    part-months' days from ``service_events`` (its start to ``as_of()``). ``to_the_present``:
    nobody has activity after ``as_of()``, so its month is whole in ``service_months`` too."""
    as_of_month = "CAST(date_trunc('month', as_of()) AS DATE)"
    whole = ["TRUE" if to_the_present else f"month < {as_of_month}"]
    part = ["FALSE"] if to_the_present else ['"on" <= as_of()', f'"on" >= {as_of_month}']
    if filters.start:
        start = filters.start
        first_whole = _first_whole_month(start)
        whole.append(f"month >= DATE '{first_whole.isoformat()}'")
        before_whole = f"\"on\" >= DATE '{start.isoformat()}' AND \"on\" < DATE '{first_whole}'"
        part = [
            '"on" <= as_of()',
            f"\"on\" >= DATE '{start.isoformat()}'",
            f"(({before_whole}) OR ({' AND '.join(part)}))",
        ]
    return " AND ".join(whole), " AND ".join(part)


def _period_months(filters: Filters, *, to_the_present: bool = False) -> str:
    """Service rows of the period (its start to ``as_of()``) per person, service,
    organisation and month, to be summed: whole months from ``service_months``, and the
    events of the part-months at either end, one row each (stored in day order, so only
    those days are read; summed once by whoever reads them rather than grouped first)."""
    whole, part = _period_parts(filters, to_the_present=to_the_present)
    return f"""
        SELECT person_key, service_id, organisation_id, month, events, units, cost
        FROM raw_service_months WHERE {whole}
        UNION ALL
        SELECT person_key, service_id, organisation_id,
               CAST(date_trunc('month', "on") AS DATE) AS month,
               1 AS events, units, cost
        FROM raw_service_events WHERE {part}"""


# One DuckDB instance per process over the current snapshot's database, shared by every
# request (each gets its own cursor, so its filtered views are its own): the blocks a
# report reads stay in memory for the next one instead of being read and decompressed
# again by a new instance each time.
_shared: dict[Path, duckdb.DuckDBPyConnection] = {}
DASHBOARD_MEMORY_LIMIT = "2GB"
_shared_lock = threading.Lock()


def _shared_store(snapshot: Path) -> duckdb.DuckDBPyConnection:
    """The process's instance over ``snapshot`` (a new snapshot replaces the old instance,
    which lives on only as long as cursors still use it), with one ``raw_<table>`` view per
    store and derived table."""
    from wraparound.analytics.derived import DERIVED, define_views
    from wraparound.analytics.schema import TABLES
    from wraparound.analytics.store import DATABASE

    with _shared_lock:
        instance = _shared.get(snapshot)
        if instance is not None:
            return instance
        instance = duckdb.connect(":memory:")
        # Each web process keeps one; bounded so that several cannot take the machine.
        instance.execute(f"SET memory_limit = {sql_literal(DASHBOARD_MEMORY_LIMIT)}")
        database = snapshot / DATABASE
        if database.exists():
            instance.execute(f"ATTACH {sql_literal(str(database))} AS store (READ_ONLY)")
            for name in [t.name for t in TABLES] + [d.name for d in DERIVED]:
                instance.execute(f"CREATE VIEW raw_{name} AS SELECT * FROM store.{name}")
        else:  # a snapshot written before snapshots had a database: its Parquet files
            for table in TABLES:
                path = sql_literal(str(snapshot / f"{table.name}.parquet"))
                instance.execute(
                    f"CREATE VIEW raw_{table.name} AS SELECT * FROM read_parquet({path})"
                )
            define_views(instance, prefix="raw_")
        _shared.clear()
        _shared[snapshot] = instance
        return instance


def open_filtered(filters: Filters) -> duckdb.DuckDBPyConnection:
    """A DuckDB cursor over the current snapshot with the filters applied: each store table
    and derived table as the view reports read (cut at the filters' day, ``as_of()``), its
    full content as ``raw_<table>``, and ``cohort``. Reads the snapshot's database
    (``store.DATABASE``), or its Parquet files for a snapshot written before there was one.
    Raises ``StoreNotReady`` without a store. Close it when done."""
    from wraparound.analytics.store import current_snapshot

    db = _shared_store(current_snapshot()).cursor()
    apply_filters(db, filters)
    return db


def _own_conditions(filters: Filters, prefix: str) -> list[str]:
    """The filters that are conditions on a person's own row (network, area, group), on the
    people table named by ``prefix``: the same in ``cohort`` and in its spans."""
    conditions = []
    if filters.network_id:
        conditions.append(f"{prefix}network_id = {int(filters.network_id)}")
    if filters.area:
        code = sql_literal(filters.area)
        conditions.append(f"({prefix}area_code = {code} OR {prefix}district_code = {code})")
    if filters.group:
        conditions.append(f"list_contains({prefix}population_groups, {sql_literal(filters.group)})")
    return conditions


def own_rows_hold_for_everyone(db: duckdb.DuckDBPyConnection, filters: Filters) -> bool:
    """Whether every person of the store meets the filters' conditions on their own row
    (network, area, population group)."""
    conditions = _own_conditions(filters, "")
    if not conditions:
        return True
    found = db.execute(
        f"SELECT count(*) FROM raw_people WHERE ({' AND '.join(conditions)}) IS NOT TRUE"
    ).fetchone()
    return found is not None and found[0] == 0


def _first_day_since(start: dt.date) -> str:
    """The condition that picks, of rows by day that carry the previous day of the same
    person (and service), the first on or after ``start``: one row each, a filter."""
    since = f"DATE '{start.isoformat()}'"
    return f"day >= {since} AND (previous_day IS NULL OR previous_day < {since})"


def period_first_active_sql(start: dt.date, *, until: str = "") -> str:
    """Each person's first day of activity on or after ``start`` (an assessment, a referral
    or a service): ``person_key``, ``first_active``; one row per person, read from their
    days of activity (``person_activity_days``). ``until``: only a first day on or before
    it (a SQL day), for the people active in a period that ends then."""
    before = f" AND day <= {until}" if until else ""
    return f"""SELECT person_key, day AS first_active FROM raw_person_activity_days
        WHERE {_first_day_since(start)}{before}"""


def cohort_spans_sql(filters: Filters, *, untiered: str = "") -> str:
    """The cohort on every day at once: one row per person and span of days they are in it
    (``member_from``, ``member_until`` exclusive or null), so that ``cohort`` as of a day is
    exactly the people with a span holding that day (a test keeps the two equal). For a
    series over days in one pass (shared targets by quarter). ``untiered``: a table of the
    spans of the same filters without a tier, made once for several series; the tier, if
    any, is then applied to them."""
    if untiered:
        if not filters.tier:
            return f"SELECT * FROM {untiered}"
        # Untiered spans run to the end: in the tier from the later of the two starts.
        return f"""SELECT * FROM (
            SELECT u.person_key, greatest(u.member_from, t.tier_from) AS member_from,
                   t.tier_until AS member_until
            FROM {untiered} AS u JOIN raw_tier_spans AS t USING (person_key)
            WHERE t.tier = {sql_literal(filters.tier)}) AS s
            WHERE member_until IS NULL OR member_until > member_from"""
    known = "least(p.registered_on, coalesce(p.case_opened_on, p.registered_on))"
    static = ["TRUE", *_own_conditions(filters, "p.")]
    froms = [known]
    joins = []
    if filters.organisation:
        org = int(filters.organisation)
        # Led by it (from when they were known), or served by it (from their first enrolment).
        joins.append(
            "LEFT JOIN (SELECT person_key, min(started_on) AS first_enrolled FROM raw_enrolments "
            f"WHERE organisation_id = {org} GROUP BY person_key) AS o USING (person_key)"
        )
        froms.append(
            f"CASE WHEN p.lead_organisation_id = {org} THEN {known} ELSE o.first_enrolled END"
        )
    if filters.start:
        # Active in the period: from their first activity since its start.
        # Inner: someone not active since the start is in no span.
        joins.append(f"JOIN ({period_first_active_sql(filters.start)}) AS act USING (person_key)")
        froms.append("act.first_active")
    until = "CAST(NULL AS DATE)"
    if filters.tier:
        # In the tier from an assessment that set it until the next that set a tier.
        joins.append("JOIN raw_tier_spans AS t USING (person_key)")
        static.append(f"t.tier = {sql_literal(filters.tier)}")
        froms.append("t.tier_from")
        until = "t.tier_until"
    # The latest of the days each condition starts holding; null if one never holds (SQL's
    # greatest() would skip it).
    member_from = (
        f"CASE WHEN {' OR '.join(f'({day}) IS NULL' for day in froms)} THEN NULL "
        f"ELSE greatest({', '.join(froms)}) END"
    )
    spans = f"""
        SELECT p.person_key, {member_from} AS member_from, {until} AS member_until
        FROM raw_people p {" ".join(joins)}
        WHERE {" AND ".join(static)}"""
    return f"""SELECT * FROM ({spans}) AS s
        WHERE member_from IS NOT NULL AND (member_until IS NULL OR member_until > member_from)"""


def view_definitions(
    filters: Filters,
    *,
    everyone: bool = False,
    everyone_active: bool = False,
    members: str = "cohort",
    latest_activity: dt.date | None = None,
) -> dict[str, str]:
    """The SQL of every view reports read, in the order to create them, over the
    ``raw_<table>`` views and the ``as_of()`` macro (the filters' day).

    ``cohort`` is the people a report is about. Every table about people is then cut both at
    the day and to the cohort, so a report reads only its cohort's rows without joining it
    (it joins ``cohort`` only for a person's attributes). ``everyone``: the cohort is known
    to be every person of the store (no filter left anyone out), so no cut is needed;
    ``everyone_active``: the cohort is known to be everyone active in a period running to
    the present, so the period's services (whose people are all active in it) need no cut;
    ``members``: where the cut reads the cohort's people from (a table of them, worked out
    once, rather than the cohort's conditions again in every view); ``latest_activity``: the
    store's last day of any activity, when known (a period running to or past it is read
    from each person's last activity)."""
    views: dict[str, str] = {}
    dated = {
        name: f"SELECT * FROM raw_{name} WHERE {column} <= as_of()"
        for name, column in DATED.items()
    }
    # Each person's tier on the day: the span of their tiers holding it.
    views["person_tier"] = (
        "SELECT person_key, tier FROM raw_tier_spans "
        "WHERE tier_from <= as_of() AND (tier_until IS NULL OR tier_until > as_of())"
    )
    # Known to the network by then: registered, or in a case (a record may be registered
    # after the case that brought the person, e.g. when merged or migrated).
    conditions = [
        "least(registered_on, coalesce(case_opened_on, registered_on)) <= as_of()",
        *_own_conditions(filters, ""),
    ]
    if filters.organisation:
        org = int(filters.organisation)
        conditions.append(
            f"(lead_organisation_id = {org} OR person_key IN "
            f"(SELECT person_key FROM ({dated['enrolments']}) AS e WHERE organisation_id = {org}))"
        )
    # Conditions on a table with one row per person are joins (faster than ``IN``, which
    # DuckDB plans as a mark join over every person).
    joins = []
    if filters.tier:
        joins.append(
            "JOIN (SELECT person_key FROM person_tier WHERE tier = "
            f"{sql_literal(filters.tier)}) AS in_tier USING (person_key)"
        )
    # Nobody has any activity after the day the figures are for: a period ending then runs
    # to the present, so it holds all activity since its start.
    to_the_present = latest_activity is not None and filters.as_of >= latest_activity
    if filters.start and to_the_present:
        # Active in the period is active since its start: one row per person rather than
        # the period's activity.
        joins.append(
            "JOIN (SELECT person_key FROM raw_person_last_active "
            f"WHERE last_active_on >= {sql_literal(filters.start.isoformat())}) AS active "
            "USING (person_key)"
        )
    elif filters.start:
        # Active in the period: a first activity since its start by its last day.
        joins.append(
            f"JOIN ({period_first_active_sql(filters.start, until='as_of()')}) AS active "
            "USING (person_key)"
        )
    views["people"] = "SELECT * FROM raw_people"
    # A person's own row (district, whether case managed) for rows already cut to the
    # cohort: from its members when they were worked out (fewer rows), or everyone's.
    views["cohort_rows"] = "SELECT person_key, district_code, case_managed FROM " + (
        "cohort_members" if members == "cohort_members" else "raw_people"
    )
    views["cohort"] = f"SELECT people.* FROM people {' '.join(joins)} WHERE " + " AND ".join(
        conditions
    )

    def cut(source: str, condition: str = "TRUE") -> str:
        """The rows of ``source`` meeting ``condition``, of the cohort's people only. An inner
        join with the members (one row each), not ``IN``: DuckDB then narrows the scan of
        ``source`` to the members' range of keys and probes a plain hash table, several
        times faster on tens of millions of rows than its semi-join."""
        if everyone:
            return f"SELECT * FROM {source} AS cut_source WHERE {condition}"
        return (
            f"SELECT cut_source.* FROM {source} AS cut_source "
            f"JOIN (SELECT person_key FROM {members}) AS cut_members USING (person_key) "
            f"WHERE {condition}"
        )

    for name, column in DATED.items():
        condition = f"{column} <= as_of()"
        if name == "referral_transitions":  # not about a person: cut with their referrals
            views[name] = dated[name]
        else:
            views[name] = cut(f"raw_{name}", condition)
    for name, condition in DERIVED_AS_OF.items():
        views[name] = cut(f"raw_{name}", condition)
    # The cohort's rows whatever their day, for outcomes' dated units (``outcomes.T``).
    views["cohort_people"] = "SELECT * FROM cohort"
    for name in (
        "score_pairs",
        "domain_scores",
        "crisis_events",
        "goals",
        "outcome_units",
        "outcome_unit_groups",
    ):
        views[f"cohort_{name}"] = cut(f"raw_{name}")
    # The referrals of the period (from its start to the day). Whoever was referred in it
    # was active in it, so when the cohort is everyone active, they need no cut.
    since = f"requested_on >= DATE '{filters.start.isoformat()}'" if filters.start else "TRUE"
    in_period = f"requested_on <= as_of() AND {since}"
    views["period_referral_waits"] = (
        f"SELECT * FROM raw_referral_waits WHERE {in_period}"
        if everyone_active
        else cut("raw_referral_waits", in_period)
    )
    period_months = f"({_period_months(filters, to_the_present=to_the_present)})"
    views["period_service_months"] = (
        f"SELECT * FROM {period_months} AS p" if everyone_active else cut(period_months)
    )
    # The period's services per person, service and organisation, as rows to be summed. A
    # period from the beginning to after everyone's last activity is all time: the totals
    # kept at refresh; another, its service rows (summed once, by the reader).
    # And per person served, once each, with their district and whether case managed.
    if not filters.start and to_the_present:
        views["period_person_services"] = cut("raw_person_service_totals")
        views["period_people_served"] = cut("raw_person_served_totals")
        return views
    if filters.start and to_the_present:
        # Each person's services since the period's start: the row of each person, service
        # and organisation (or person) at their first day of it, with the totals since.
        first_rows = _first_day_since(filters.start)
        services = (
            "SELECT person_key, service_id, organisation_id, events_since AS events, "
            f"units_since AS units, cost_since AS cost FROM raw_person_service_days "
            f"WHERE {first_rows}"
        )
        served = (
            "SELECT person_key, events_since AS events, units_since AS units, "
            "cost_since AS cost, district_code, case_managed FROM raw_person_activity_days "
            f"WHERE {first_rows} AND events_since > 0"
        )
        # The people served are everyone active (they were served in it): no cut.
        views["period_person_services"] = services if everyone_active else cut(f"({services})")
        views["period_people_served"] = served if everyone_active else cut(f"({served})")
        return views
    views["period_person_services"] = (
        "SELECT person_key, service_id, organisation_id, events, units, cost "
        "FROM period_service_months"
    )
    views["period_people_served"] = (
        "SELECT s.person_key, s.events, s.units, s.cost, p.district_code, p.case_managed "
        "FROM (SELECT person_key, sum(events) AS events, sum(units) AS units, "
        "sum(cost) AS cost FROM period_person_services GROUP BY person_key) AS s "
        "JOIN cohort_rows AS p USING (person_key)"
    )
    return views


def _latest_activity(db: duckdb.DuckDBPyConnection) -> dt.date | None:
    found = db.execute("SELECT max(last_active_on) FROM raw_person_last_active").fetchone()
    return found[0] if found else None


def runs_to_the_present(db: duckdb.DuckDBPyConnection, filters: Filters) -> bool:
    """Whether the period ends after the store's last activity: it then holds everything
    since its start, and the views read each person's services from rows kept at refresh
    (their totals over all time, or since their first activity in the period)."""
    latest = _latest_activity(db)
    return latest is not None and filters.as_of >= latest


def apply_filters(db: duckdb.DuckDBPyConnection, filters: Filters) -> None:
    """(Re)define the views reports read over the ``raw_<table>`` views for these filters
    (``view_definitions``): ``as_of()``, ``cohort`` and every table cut to both."""
    db.execute(f"CREATE OR REPLACE TEMP MACRO as_of() AS DATE '{filters.as_of.isoformat()}'")
    latest_activity = _latest_activity(db)
    views = view_definitions(filters, latest_activity=latest_activity)
    for name in ("person_tier", "people", "cohort"):
        db.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {views[name]}")
    # Conditions on other tables (a tier as of the day, an organisation's enrolments,
    # activity in the period) are worked out once, into the cohort's people, which every
    # view's cut then reads; conditions on a person's own row are cheap to count directly.
    source = "cohort"
    if filters.tier or filters.organisation or filters.start:
        # With the attributes reports look up for rows already cut to the cohort.
        db.execute(
            "CREATE OR REPLACE TEMP TABLE cohort_members AS "
            "SELECT person_key, district_code, case_managed FROM cohort"
        )
        source = "cohort_members"
    # Whether the cohort is everyone, or everyone active in a period running to the present
    # (the cohort has that condition, so the same number is the same people).
    active = (
        "SELECT count(*) FROM raw_person_last_active "
        f"WHERE last_active_on >= {sql_literal(filters.start.isoformat())}"
        if filters.start and latest_activity is not None and filters.as_of >= latest_activity
        else "SELECT -1"
    )
    counted = db.execute(
        f"SELECT (SELECT count(*) FROM {source}) AS n, (SELECT count(*) FROM raw_people), "
        f"({active})"
    ).fetchone()
    assert counted is not None
    views = view_definitions(
        filters,
        everyone=counted[0] == counted[1],
        everyone_active=counted[0] == counted[2],
        members=source,
        latest_activity=latest_activity,
    )
    # One call for every view (one round trip instead of one per view).
    db.execute(
        ";\n".join(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}" for name, sql in views.items())
    )
