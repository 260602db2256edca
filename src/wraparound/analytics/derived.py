"""Tables derived from the store's tables once per refresh, so that dashboards at a million
people read a few million pre-shaped rows instead of regrouping tens of millions on every
request (ADR 0017, "Dashboards at a million people").

Each is plain SQL over the store's tables (``schema.TABLES``), in DuckDB's dialect: the
refresh materialises it in the snapshot's DuckDB database; a small store built by hand, or
Spark over the Parquet files, defines it as a view with the same SQL (``define_views``). No
derived table depends on the day a report is for: ``filters.apply_filters`` cuts each at
that day, as it cuts the store's tables."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Derived:
    name: str
    description: str
    sql: str
    # The order rows are stored in (the database only): reads of one part skip the rest.
    order: str = ""


# The order of a person's assessments (day, then id) as one number: the latest tier is the
# tier of the last assessment that set one.
TIER_ORDER = "date_diff('day', DATE '1970-01-01', completed_on) * 10000000000 + assessment_id"

# Running totals from a row's day to the store's last, for rows of ``d`` per ``partition``
# and day: a period running to the present reads them at its first day, not summed.
_SINCE = """sum(d.events) OVER (PARTITION BY {partition} ORDER BY d.day
                   ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS events_since,
               sum(d.units) OVER (PARTITION BY {partition} ORDER BY d.day
                   ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS units_since,
               sum(d.cost) OVER (PARTITION BY {partition} ORDER BY d.day
                   ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS cost_since"""

DERIVED: tuple[Derived, ...] = (
    Derived(
        "score_pairs",
        "Each person's first and latest score in each domain, one row per score after the "
        "first, valid from that score's day until the next one's (exclusive; null: still "
        "the latest). The pairs as of a day are the rows valid on it, so the first-vs-latest "
        "outcomes are a filter, not a regrouping of every score.",
        """
        SELECT person_key, domain, first_score, score AS latest_score,
               completed_on AS valid_from, valid_until
        FROM (
            SELECT person_key, domain, score, completed_on,
                   first_value(score) OVER w AS first_score,
                   lead(completed_on) OVER w AS valid_until,
                   row_number() OVER w AS position
            FROM domain_scores
            WINDOW w AS (PARTITION BY person_key, domain ORDER BY completed_on, assessment_id)
        ) AS ordered
        WHERE position >= 2
        """,
        # Outcomes about some domains (reached safe in the basic needs) skip the others.
        order="domain",
    ),
    Derived(
        "score_days",
        "The sum and number of domain scores per person and assessment day (the mean need "
        "at a day, for the matched evaluation).",
        """
        SELECT person_key, completed_on, sum(score) AS score_sum, count(*) AS scores
        FROM domain_scores GROUP BY person_key, completed_on
        """,
    ),
    Derived(
        "crises_after_first",
        "Crisis events in the year from each person's first assessment day (from that day, "
        "for 365 days): the evaluation's crisis rate as of a day is the year's count kept "
        "in ``need_spans`` less these from the day after on. Stored by day, so that those "
        "are a few row groups.",
        """
        SELECT e.person_key, e.occurred_on
        FROM crisis_events e
        JOIN (SELECT person_key, min(completed_on) AS first_on FROM score_days
              GROUP BY person_key) AS f ON f.person_key = e.person_key
        WHERE e.occurred_on >= f.first_on AND date_diff('day', f.first_on, e.occurred_on) < 365
        """,
        order="occurred_on",
    ),
    Derived(
        "need_spans",
        "Each person's mean need score at their first assessment day (``baseline``, on "
        "``first_on``) and at each later one (``latest``), valid from that day until the "
        "next (exclusive; null: still the latest), with the crisis events in the year from "
        "the first (``crises_year``). The first and latest need as of a day are the row "
        "valid on it, for the matched evaluation, instead of regrouping every score day.",
        """
        SELECT d.person_key, d.first_on, d.baseline, d.completed_on AS valid_from,
               d.valid_until, d.latest, coalesce(c.crises_year, 0) AS crises_year
        FROM (
            SELECT person_key, completed_on, score_sum / scores AS latest,
                   first_value(completed_on) OVER w AS first_on,
                   first_value(score_sum / scores) OVER w AS baseline,
                   lead(completed_on) OVER w AS valid_until,
                   row_number() OVER w AS position
            FROM score_days
            WINDOW w AS (PARTITION BY person_key ORDER BY completed_on)
        ) AS d
        LEFT JOIN (SELECT person_key, count(*) AS crises_year FROM crises_after_first
                   GROUP BY person_key) AS c ON c.person_key = d.person_key
        WHERE d.position >= 2
        """,
    ),
    Derived(
        "support_after_entry",
        "The cost of services each case-managed person received on each day of the year after "
        "their case opened (from the opening day, for 365 days): support after entry, for the "
        "cost-benefit figures. Stored by day, so that the days from a report's day on are a "
        "few row groups.",
        """
        SELECT e.person_key, e."on", sum(e.cost) AS cost
        FROM service_events e JOIN people p ON p.person_key = e.person_key
        WHERE p.case_managed AND e."on" >= p.case_opened_on
          AND date_diff('day', p.case_opened_on, e."on") < 365
        GROUP BY e.person_key, e."on"
        """,
        order='"on"',
    ),
    Derived(
        "support_year_after_entry",
        "Each case-managed person's cost of support over the whole year after entry: support "
        "up to a report's day is this less the days from that day on (``costs``), one row per "
        "person instead of one per day.",
        """
        SELECT person_key, sum(cost) AS cost FROM support_after_entry GROUP BY person_key
        """,
    ),
    Derived(
        "person_organisations",
        "Each person and organisation that served them (from their first enrolment with it, "
        "``since``) or leads their case (``since`` null: the latest case's lead), once, for "
        "each organisation's contribution to a shared target.",
        """
        SELECT person_key, organisation_id,
               CASE WHEN bool_or(leads) THEN NULL ELSE min(started_on) END AS since
        FROM (
            SELECT person_key, organisation_id, started_on, false AS leads FROM enrolments
            UNION ALL
            SELECT person_key, lead_organisation_id, CAST(NULL AS DATE), true FROM people
            WHERE lead_organisation_id IS NOT NULL
        ) AS links
        GROUP BY person_key, organisation_id
        """,
    ),
    Derived(
        "crisis_near_entry",
        "Crisis events of case-managed people in the year before their case opened and the "
        "year after (a tenth of all crisis events): crisis use and costs before and after "
        "entry read these alone.",
        """
        SELECT e.person_key, e.kind, e.occurred_on
        FROM crisis_events e JOIN people p ON p.person_key = e.person_key
        WHERE p.case_managed
          AND e.occurred_on >= p.case_opened_on - INTERVAL 365 DAY
          AND e.occurred_on < p.case_opened_on + INTERVAL 365 DAY
        """,
    ),
    Derived(
        "tier_spans",
        "Each person's tiers with the days each held: from the assessment that set it until "
        "the next that set a tier (exclusive; null: still the tier). A person's tier on a "
        "day is the span holding it, and the cohort of a tier over several days (shared "
        "targets by quarter) reads these spans instead of ordering every assessment.",
        f"""
        SELECT person_key, tier, completed_on AS tier_from,
               lead(completed_on) OVER (PARTITION BY person_key ORDER BY {TIER_ORDER})
                   AS tier_until
        FROM assessments WHERE tier IS NOT NULL
        """,  # noqa: S608 (a constant of this module)
    ),
    Derived(
        "crisis_entry_counts",
        "Crisis events per case-managed person and kind in the year before entry (``before``) "
        "and the year after (``after_year``): the before and after figures read a row per "
        "person and kind, less the events from the report's day on.",
        """
        SELECT e.person_key, e.kind,
               count(*) FILTER (WHERE e.occurred_on < p.case_opened_on) AS before,
               count(*) FILTER (WHERE e.occurred_on >= p.case_opened_on) AS after_year
        FROM crisis_near_entry e JOIN people p ON p.person_key = e.person_key
        GROUP BY e.person_key, e.kind
        """,
    ),
    Derived(
        "referral_waits",
        "Each referral's figures for the outputs: its days, organisations and status, with "
        "the days it waited to be accepted (null if not accepted) worked out once, at "
        "refresh, rather than from two instants for every referral on every request.",
        """
        SELECT referral_id, person_key, requested_on, accepted_on, closed_on, status,
               CAST(date_trunc('month', requested_on) AS DATE) AS month,
               receiving_organisation_id, referring_organisation_id,
               (epoch(accepted_at) - epoch(requested_at)) / 86400.0 AS days_to_accept
        FROM referrals
        """,
        # Stored by day: the referrals of a period are a few row groups.
        order="requested_on",
    ),
    Derived(
        "person_groups",
        "Each person's population groups, one row per group (none for people in none): "
        "breakdowns by group join it rather than unnesting a list per row.",
        "SELECT person_key, unnest(population_groups) AS group_code FROM people",
    ),
    Derived(
        "person_service_totals",
        "Service events per person, service and organisation over all time: their number, "
        "units and cost (a fifth of the rows of the months). A period running from the "
        "beginning to the present reads each person's totals here (``filters``, "
        "``period_person_services``).",
        """
        SELECT person_key, service_id, organisation_id,
               count(*) AS events, sum(units) AS units, sum(cost) AS cost
        FROM service_events
        GROUP BY person_key, service_id, organisation_id
        """,
    ),
    Derived(
        "person_served_totals",
        "Each person served: their service events, units and cost over all time, with their "
        "district and whether case managed (one row per person served: the all-time people "
        "served by district and the support per person read it without regrouping or "
        "joining people, ``filters``, ``period_people_served``).",
        """
        SELECT t.person_key, sum(t.events) AS events, sum(t.units) AS units,
               sum(t.cost) AS cost, any_value(p.district_code) AS district_code,
               any_value(p.case_managed) AS case_managed
        FROM person_service_totals t JOIN people p ON p.person_key = t.person_key
        GROUP BY t.person_key
        """,
    ),
    Derived(
        "person_last_active",
        "Each person's last day of activity (an assessment, a referral or a service), for "
        "the people active in a period that runs to the present: on a day after everyone's "
        "last activity, active since a start is a condition on one row per person, instead "
        "of a pass over the activity of the period (``filters.view_definitions``).",
        """
        SELECT person_key, max(day) AS last_active_on FROM (
            SELECT person_key, completed_on AS day FROM assessments
            UNION ALL SELECT person_key, requested_on FROM referrals
            UNION ALL SELECT person_key, "on" FROM service_events
        ) AS activity
        GROUP BY person_key
        """,
    ),
    Derived(
        "person_activity_days",
        "Each person's days of activity (an assessment, a referral or a service), each with "
        "the person's previous day of activity (``previous_day``, null on the first), their "
        "services from that day to the store's last (``events_since``, ``units_since``, "
        "``cost_since``), and their district and whether case managed. A person's first "
        "activity on or after a day is the row where that day falls after the previous one: "
        "a filter, not a grouping of the period's activity; in a period running to the "
        "present, that row also holds the person's services in it "
        "(``filters.period_first_active_sql``, ``period_people_served``).",
        f"""
        SELECT d.person_key, d.day,
               lag(d.day) OVER (PARTITION BY d.person_key ORDER BY d.day) AS previous_day,
               {_SINCE.format(partition="d.person_key")},
               p.district_code, p.case_managed
        FROM (
            SELECT person_key, day, sum(events) AS events, sum(units) AS units,
                   sum(cost) AS cost
            FROM (
                SELECT person_key, completed_on AS day, 0 AS events,
                       CAST(NULL AS DOUBLE) AS units, CAST(NULL AS DOUBLE) AS cost
                FROM assessments
                UNION ALL SELECT person_key, requested_on, 0, NULL, NULL FROM referrals
                UNION ALL SELECT person_key, "on", 1, units, cost FROM service_events
            ) AS activity
            GROUP BY person_key, day
        ) AS d JOIN people p ON p.person_key = d.person_key
        """,  # noqa: S608 (constants of this module)
        # A period's first days are then in the row groups from its start on.
        order="day",
    ),
    Derived(
        "person_service_days",
        "Service events per person, service, organisation and day, each with the previous "
        "day the person had that service from that organisation (``previous_day``, null on "
        "the first) and the events, units and cost from that day to the store's last "
        "(``events_since``, ``units_since``, ``cost_since``). In a period running to the "
        "present, a person's services in it are the rows whose previous day is before its "
        "start: a filter, one row per person, service and organisation, instead of summing "
        "their months (``filters``, ``period_person_services``).",
        f"""
        SELECT person_key, service_id, organisation_id, day,
               lag(day) OVER (PARTITION BY person_key, service_id, organisation_id
                              ORDER BY day) AS previous_day,
               {_SINCE.format(partition="person_key, service_id, organisation_id")}
        FROM (
            SELECT person_key, service_id, organisation_id, "on" AS day, count(*) AS events,
                   sum(units) AS units, sum(cost) AS cost
            FROM service_events
            GROUP BY person_key, service_id, organisation_id, "on"
        ) AS d
        """,  # noqa: S608 (constants of this module)
        order="day",
    ),
    Derived(
        "service_months",
        "Service events per person, service, organisation and month: their number, units "
        "and cost (an eighth of the rows of the events). Whole months come from here; the "
        "part-months at a period's ends from the events themselves.",
        """
        SELECT person_key, service_id, organisation_id,
               CAST(date_trunc('month', "on") AS DATE) AS month,
               count(*) AS events, sum(units) AS units, sum(cost) AS cost
        FROM service_events
        GROUP BY person_key, service_id, organisation_id, CAST(date_trunc('month', "on") AS DATE)
        """,
        # A period's whole months are then a few row groups, skipped past by their ranges.
        order="month",
    ),
)


def _outcome_units() -> Derived:
    from wraparound.analytics.outcomes import OUTCOMES, T

    listed = " UNION ALL ".join(
        f"SELECT '{o.code}' AS outcome, person_key, hit, valid_from, valid_until "  # noqa: S608
        f"FROM ({o.dated_units.replace(T, '')}) AS u{i}"
        for i, o in enumerate(OUTCOMES)
        if o.materialised
    )
    return Derived(
        "outcome_units",
        "The dated units of the outcomes marked materialised (``outcomes.py``): which units "
        "each outcome has, with which answer, on which days.",
        listed,
        order="outcome",
    )


def _outcome_unit_groups() -> Derived:
    from wraparound.analytics.outcomes import OUTCOMES, T

    listed = " UNION ALL ".join(
        f"SELECT '{o.code}' AS outcome, person_key, valid_from, valid_until, "  # noqa: S608
        "count(*) FILTER (WHERE hit) AS hits, count(*) AS units "
        f"FROM ({o.dated_units.replace(T, '')}) AS u{i} "
        "GROUP BY person_key, valid_from, valid_until"
        for i, o in enumerate(OUTCOMES)
    )
    return Derived(
        "outcome_unit_groups",
        "The dated units of every outcome, grouped per person and days held: how many units "
        "(``units``) and how many in the numerator (``hits``), with the day the person became "
        "known to the network (``known_on``: registered, or in a case). A person's domains "
        "scored at the same assessments hold on the same days, so an outcome over domains "
        "has a fraction of the rows: a series over several days (``outcomes.series``) sums "
        "these.",
        f"""SELECT g.*, least(p.registered_on, coalesce(p.case_opened_on, p.registered_on))
                AS known_on
            FROM ({listed}) AS g JOIN people p ON p.person_key = g.person_key""",  # noqa: S608
        order="outcome",
    )


DERIVED += (_outcome_units(), _outcome_unit_groups())


def with_prefix(sql: str, prefix: str) -> str:
    """``sql`` reading the store's tables, and the derived tables (one may read another made
    before it), under the names ``<prefix><name>``."""
    from wraparound.analytics.schema import TABLES

    for name in [t.name for t in TABLES] + [d.name for d in DERIVED]:
        sql = re.sub(rf"\b(FROM|JOIN) {name}\b", rf"\1 {prefix}{name}", sql)
    return sql


def define_views(db: duckdb.DuckDBPyConnection, *, prefix: str = "") -> None:
    """Each derived table as a view named ``<prefix><name>`` over the store's tables named
    ``<prefix><table>`` (for a store that was not built by a refresh)."""
    for derived in DERIVED:
        db.execute(
            f"CREATE OR REPLACE VIEW {prefix}{derived.name} AS {with_prefix(derived.sql, prefix)}"
        )
