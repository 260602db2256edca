"""Outcomes, each defined once as data: what it means (for the page), its numerator,
denominator and exclusions in words, and the DuckDB SQL over the analytics store listing
its units (one row per person, person-domain or goal in the denominator, with ``hit`` when it
is in the numerator), which are counted, or grouped for a breakdown. Every share is shown
with its counts; small counts are suppressed (``suppress_count``) before anything leaves.

The SQL reads only the store's tables (``schema.py``), the derived tables (``derived.py``)
and a ``cohort`` view: the people the report is about (filtered by area, population group
and organisation, ``filters.py``), to which every table is already cut, so every outcome is
computed the same way for any filter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

# Self-sufficiency matrix domains that are basic needs (a score of 3 is "safe").
BASIC_DOMAINS = ("housing", "food", "income", "safety", "health_care")
SAFE = 3
SMALL_NUMBER = 5
# The assessment that counts as "at 6 months" is the one nearest to it within this window.
WINDOW_DAYS = 60
REPRESENTATION_DAYS = 90


# Where an outcome's SQL names a store table, ``{p}<table>``: ``cohort_<table>`` (the rows
# of the cohort of the report's day, every day) for a count, ``raw_<table>`` (everyone) for
# a series over several days (each day's cohort joined from ``filters.cohort_spans_sql``).
T = "{p}"
# A dated unit counts on the days from ``valid_from`` up to ``valid_until`` (exclusive; null:
# still counts).
VALID_ON_AS_OF = "valid_from <= as_of() AND (valid_until IS NULL OR valid_until > as_of())"


@dataclass(frozen=True)
class PairRule:
    hit: str
    where: str = "TRUE"


@dataclass(frozen=True)
class Outcome:
    code: str
    title: str
    description: str
    numerator: str
    denominator: str
    exclusions: str
    # One row per unit of the denominator (a person, a person's domain, a goal) and per
    # answer it has had: ``person_key``, ``hit`` (whether it is in the numerator) and the
    # days it held (``valid_from``, ``valid_until``), whatever the report's day. Dated, so
    # that the outcome on any day is a filter and a series over days is one pass.
    dated_units: str
    # Worked out at refresh into the derived table ``outcome_units`` (units that take more
    # than a filter to list: windows over scores, joins), rather than on every request.
    materialised: bool = False
    # For an outcome about first-vs-latest scores: its units are the score pairs meeting
    # ``where`` (SQL over ``score_pairs``), hit when they meet ``hit``, so that every such
    # outcome is counted in one pass over the pairs (``count_outcomes``).
    pairs: PairRule | None = None

    def dated(self, prefix: str) -> str:
        """The dated units over the tables ``<prefix><table>``."""
        if self.materialised:
            return (
                "SELECT person_key, hit, valid_from, valid_until "
                f"FROM {prefix}outcome_units WHERE outcome = '{self.code}'"
            )
        return self.dated_units.replace(T, prefix)

    @property
    def units(self) -> str:
        """The units of the cohort on the report's day (``as_of()``): ``person_key``, ``hit``."""
        return f"SELECT person_key, hit FROM ({self.dated('cohort_')}) AS u WHERE {VALID_ON_AS_OF}"

    @property
    def sql(self) -> str:
        """One row: the numerator and the denominator."""
        return f"SELECT count(*) FILTER (WHERE hit), count(*) FROM ({self.units}) AS units"

    def count(self, db: duckdb.DuckDBPyConnection) -> tuple[int, int]:
        row = db.execute(self.sql).fetchone()
        assert row is not None
        return int(row[0] or 0), int(row[1] or 0)


def _dated_pairs(rule: PairRule) -> str:
    return f"""SELECT person_key, {rule.hit} AS hit, valid_from, valid_until
        FROM {T}score_pairs WHERE {rule.where}"""


def _pairs_outcome(
    code: str,
    title: str,
    description: str,
    numerator: str,
    denominator: str,
    exclusions: str,
    rule: PairRule,
) -> Outcome:
    """An outcome whose units are score pairs (``PairRule``)."""
    return Outcome(
        code, title, description, numerator, denominator, exclusions, _dated_pairs(rule), pairs=rule
    )


def _housing_at(months: int) -> str:
    """The housing score nearest to ``months`` after the case opened, within the window:
    from the first score in the window known (not before the point itself), each later
    score in the window may be nearer, so the answer holds until the next one. Its names
    carry the months, so that both are unique where the outcomes' SQL is combined."""
    # Nearest first; on equal distance the earlier day, then the lower assessment id.
    nearest = (
        "(abs(date_diff('day', c.point, c.completed_on)) * 100000 "
        "+ date_diff('day', DATE '1970-01-01', c.completed_on)) * 10000000000 + c.assessment_id"
    )
    return f"""
        WITH eligible_{months} AS (
            SELECT person_key, CAST(case_opened_on + INTERVAL {months} MONTH AS DATE) AS point
            FROM {T}people WHERE case_managed AND case_opened_on IS NOT NULL
        ), candidates_{months} AS (
            SELECT e.person_key, e.point, s.completed_on, s.assessment_id, s.score
            FROM eligible_{months} e JOIN {T}domain_scores s ON s.person_key = e.person_key
            WHERE s.domain = 'housing'
              AND abs(date_diff('day', e.point, s.completed_on)) <= {WINDOW_DAYS}
        ), running_{months} AS (
            SELECT c.person_key, c.point, c.completed_on,
                   arg_min(c.score, {nearest}) OVER (
                       PARTITION BY c.person_key ORDER BY c.completed_on, c.assessment_id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS score,
                   lead(c.completed_on) OVER (
                       PARTITION BY c.person_key ORDER BY c.completed_on, c.assessment_id
                   ) AS next_on
            FROM candidates_{months} c
        )
        SELECT person_key, score >= {SAFE} AS hit, greatest(point, completed_on) AS valid_from,
               next_on AS valid_until
        FROM running_{months}
        WHERE next_on IS NULL OR next_on > greatest(point, completed_on)
    """


OUTCOMES: tuple[Outcome, ...] = (
    _pairs_outcome(
        "need_improved",
        "Assessed need improved",
        "Share of domain scores better at the latest assessment than at the first.",
        "Person-domains scoring higher at the latest completed assessment than at the first",
        "Person-domains scored at two or more completed assessments",
        "People with one assessment; domains left unanswered",
        PairRule("latest_score > first_score"),
    ),
    _pairs_outcome(
        "need_worse",
        "Assessed need worse",
        "Share of domain scores worse at the latest assessment than at the first.",
        "Person-domains scoring lower at the latest completed assessment than at the first",
        "Person-domains scored at two or more completed assessments",
        "People with one assessment; domains left unanswered",
        PairRule("latest_score < first_score"),
    ),
    _pairs_outcome(
        "reached_safe",
        "Reached safe in basic needs",
        f"Share of basic-need domains ({', '.join(BASIC_DOMAINS)}) below safe (3) at the "
        "first assessment and safe or better at the latest.",
        "Basic-need person-domains scoring 3+ at the latest assessment",
        "Basic-need person-domains scoring 1 or 2 at the first of two or more assessments",
        "Domains already safe at the first assessment; people with one assessment",
        PairRule(
            f"latest_score >= {SAFE}", f"domain IN {BASIC_DOMAINS!r} AND first_score < {SAFE}"
        ),
    ),
    Outcome(
        "stable_housing_6m",
        "Stable housing at 6 months",
        "Share of case-managed people whose housing scores safe (3+) at the assessment "
        f"nearest to 6 months after their case opened (within {WINDOW_DAYS} days).",
        "People with housing 3+ at the assessment nearest 6 months",
        "Case-managed people whose case opened 6+ months ago with a housing score in the window",
        f"People with no housing score within {WINDOW_DAYS} days of 6 months",
        _housing_at(6),
        materialised=True,
    ),
    Outcome(
        "stable_housing_12m",
        "Stable housing at 12 months",
        "As at 6 months, at 12 months after the case opened.",
        "People with housing 3+ at the assessment nearest 12 months",
        "Case-managed people whose case opened 12+ months ago with a housing score in the window",
        f"People with no housing score within {WINDOW_DAYS} days of 12 months",
        _housing_at(12),
        materialised=True,
    ),
    Outcome(
        "representation_after_step_down",
        "Back in crisis after step-down",
        f"Share of stepped-down people with a crisis event within {REPRESENTATION_DAYS} days.",
        f"Stepped-down people with a crisis event within {REPRESENTATION_DAYS} days after",
        f"People stepped down at least {REPRESENTATION_DAYS} days ago",
        "People stepped down more recently (not yet observable)",
        f"""SELECT c.person_key, count(e.person_key) > 0 AS hit,
                   CAST(c.stepped_down_on + INTERVAL {REPRESENTATION_DAYS} DAY AS DATE)
                       AS valid_from,
                   CAST(NULL AS DATE) AS valid_until
            FROM {T}people c LEFT JOIN {T}crisis_events e ON e.person_key = c.person_key
                 AND e.occurred_on > c.stepped_down_on
                 AND e.occurred_on <= c.stepped_down_on + INTERVAL {REPRESENTATION_DAYS} DAY
            WHERE c.stepped_down_on IS NOT NULL
            GROUP BY c.person_key, c.stepped_down_on""",
        materialised=True,
    ),
    Outcome(
        "goals_achieved",
        "Plan goals achieved by their date",
        "Share of care-plan goals whose actions were all done by the goal's target date.",
        "Goals achieved on or before their target date",
        "Goals of agreed plans whose target date has passed",
        "Goals not yet due",
        f"""SELECT person_key, coalesce(achieved_on <= target_on, false) AS hit,
                   greatest(target_on, agreed_on) AS valid_from,
                   CAST(NULL AS DATE) AS valid_until
            FROM {T}goals WHERE target_on IS NOT NULL""",
    ),
)
OUTCOMES_BY_CODE = {o.code: o for o in OUTCOMES}


def count_outcomes(
    db: duckdb.DuckDBPyConnection,
    outcomes: Sequence[Outcome] = OUTCOMES,
    *,
    need_change: bool = False,
) -> tuple[dict[str, tuple[int, int]], list[dict[str, Any]]]:
    """Each outcome's numerator and denominator on the report's day, the same as
    ``Outcome.count`` (a test keeps them equal), in one pass over the outcomes' grouped units
    (``outcome_unit_groups``). With ``need_change``, also the change per domain from first
    to latest score (pairs, improved, unchanged, worse, mean change) in one pass over the
    score pairs, which then counts the score-pair outcomes too."""
    counts: dict[str, tuple[int, int]] = {}
    domains: list[dict[str, Any]] = []
    if need_change:
        on_pairs = [o for o in outcomes if o.pairs is not None]
        per_outcome = "".join(
            f", count(*) FILTER (WHERE ({o.pairs.where}) AND ({o.pairs.hit})) AS hit_{i}"
            f", count(*) FILTER (WHERE {o.pairs.where}) AS all_{i}"
            for i, o in enumerate(on_pairs)
            if o.pairs is not None
        )
        cursor = db.execute(
            f"""SELECT domain, count(*) AS pairs,
                       count(*) FILTER (WHERE latest_score > first_score) AS improved,
                       count(*) FILTER (WHERE latest_score = first_score) AS unchanged,
                       count(*) FILTER (WHERE latest_score < first_score) AS worse,
                       avg(latest_score - first_score) AS mean_change {per_outcome}
                FROM score_pairs GROUP BY domain ORDER BY domain"""
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for i, outcome in enumerate(on_pairs):
            counts[outcome.code] = (
                sum(int(r[f"hit_{i}"]) for r in rows),
                sum(int(r[f"all_{i}"]) for r in rows),
            )
        domains = [{k: v for k, v in r.items() if not k.startswith(("hit_", "all_"))} for r in rows]
    rest = [o for o in outcomes if o.code not in counts]
    if rest:
        codes = ", ".join(f"'{o.code}'" for o in rest)
        found = db.execute(
            f"""SELECT outcome, sum(hits), sum(units) FROM cohort_outcome_unit_groups
                WHERE outcome IN ({codes}) AND {VALID_ON_AS_OF} GROUP BY outcome"""
        ).fetchall()
        by_code = {code: (int(hit or 0), int(total or 0)) for code, hit, total in found}
        for outcome in rest:
            counts[outcome.code] = by_code.get(outcome.code, (0, 0))
    return counts, domains


def series(
    db: duckdb.DuckDBPyConnection,
    outcome: Outcome,
    filters: Any,
    days: list[Any],
    *,
    by_organisation: bool = False,
    untiered: str = "",
    everyone: bool = False,
    first_active: str = "",
) -> tuple[dict[Any, tuple[int, int]], dict[int, tuple[int, int]]]:
    """The outcome's numerator and denominator on each of ``days``, among the cohort of
    ``filters`` on that day, in one pass: the dated units of everyone, grouped per person
    and days held (``outcome_unit_groups``), joined to the cohort's spans
    (``filters.cohort_spans_sql``, from the ``untiered`` spans if given; with ``everyone``,
    every person meets the filters' conditions on their own row, so without an organisation
    the spans are each person's known day, first activity in the period (from the table
    ``first_active`` if given) and tiers) and to the days each holds. The same as applying
    the filters as of each day and counting (a test keeps them equal). With
    ``by_organisation``, also the outcome on the last day among the people each
    organisation served or led (``count_by_organisation`` on that day), from the same
    pass."""
    from wraparound.analytics.filters import (
        cohort_spans_sql,
        period_first_active_sql,
        sql_literal,
    )

    # One pass over the units of the cohort, each with the days it counts on (its own days
    # and its person's in the cohort) as a range of positions in the sorted days; the
    # ranges are few, and each day's counts are summed from them.
    ordered = sorted(days)
    first, last = ordered[0], ordered[-1]
    # How many of the days come before each day from the first to the last, looked up by
    # the day's distance from the first (cheaper than comparing with every day).
    before = [
        sum(1 for day in ordered if first + dt.timedelta(days=offset) > day)
        for offset in range((last - first).days + 1)
    ]

    def position(column: str) -> str:
        """How many of the days come before ``column``'s day: where its range starts."""
        return (
            f"CASE WHEN {column} <= DATE '{first.isoformat()}' THEN 0 "
            f"WHEN {column} > DATE '{last.isoformat()}' THEN {len(ordered)} "
            f"ELSE {before!r}[date_diff('day', DATE '{first.isoformat()}', {column}) + 1] END"
        )

    last_position = len(ordered) - 1
    by_org = (
        f"""UNION ALL
            SELECT -1, o.organisation_id, sum(s.hits), sum(s.units)
            FROM spans s JOIN raw_person_organisations o USING (person_key)
            WHERE s.first <= {last_position} AND s.stop > {last_position}
              AND (o.since IS NULL OR o.since <= DATE '{last.isoformat()}')
            GROUP BY o.organisation_id"""
        if by_organisation
        else ""
    )
    lo = "greatest(u.valid_from, m.member_from)"
    hi = """CASE WHEN u.valid_until IS NULL THEN m.member_until
                 WHEN m.member_until IS NULL THEN u.valid_until
                 ELSE least(u.valid_until, m.member_until) END"""
    members = f"JOIN ({cohort_spans_sql(filters, untiered=untiered)}) AS m USING (person_key)"
    if everyone and not filters.organisation:
        # Everyone is in the cohort from when they were known (kept beside each unit), from
        # their first activity in a period, and in a tier while its spans last: no pass
        # over the people.
        starts, joins = ["u.valid_from", "u.known_on"], []
        hi = "u.valid_until"
        if filters.start:
            source = first_active or f"({period_first_active_sql(filters.start)})"
            joins.append(f"JOIN {source} AS act USING (person_key)")
            starts.append("act.first_active")
        if filters.tier:
            joins.append(
                "JOIN (SELECT person_key, tier_from, tier_until FROM raw_tier_spans "
                f"WHERE tier = {sql_literal(filters.tier)}) AS m USING (person_key)"
            )
            starts.append("m.tier_from")
            hi = """CASE WHEN u.valid_until IS NULL THEN m.tier_until
                         WHEN m.tier_until IS NULL THEN u.valid_until
                         ELSE least(u.valid_until, m.tier_until) END"""
        lo, members = f"greatest({', '.join(starts)})", " ".join(joins)
    rows = db.execute(
        f"""WITH spans AS MATERIALIZED (
            SELECT person_key, hits, units, {position("lo")} AS first,
                   CASE WHEN hi IS NULL THEN {len(ordered)} ELSE {position("hi")} END AS stop
            FROM (SELECT u.person_key, u.hits, u.units, {lo} AS lo, {hi} AS hi
                  FROM raw_outcome_unit_groups AS u {members}
                  WHERE u.outcome = '{outcome.code}'
                  -- Units over before the first day or not yet begun by the last count on none.
                    AND (u.valid_until IS NULL OR u.valid_until > DATE '{first.isoformat()}')
                    AND u.valid_from <= DATE '{last.isoformat()}') AS joined
            )
            SELECT first, stop, sum(hits), sum(units) FROM spans GROUP BY 1, 2
            {by_org}"""
    ).fetchall()
    ranges = [
        (first, stop, int(hit or 0), int(total or 0))
        for first, stop, hit, total in rows
        if first >= 0
    ]
    found = {}
    for index, day in enumerate(ordered):
        held = [(hit, total) for first, stop, hit, total in ranges if first <= index < stop]
        found[day] = (sum(h for h, _ in held), sum(t for _, t in held))
    organisations = {
        int(org): (int(hit or 0), int(total or 0)) for first, org, hit, total in rows if first < 0
    }
    return {day: found.get(day, (0, 0)) for day in days}, organisations


# Who served (by the report's day) or led whom: the people each organisation's figures are
# about, for contributions to shared targets.
PERSON_ORGANISATIONS = """
    SELECT person_key, organisation_id FROM raw_person_organisations
    WHERE since IS NULL OR since <= as_of()
"""


def count_by_organisation(
    db: duckdb.DuckDBPyConnection, outcome: Outcome
) -> dict[int, tuple[int, int]]:
    """The outcome among the people each organisation served or led, in one grouped pass
    (the same as filtering the cohort by each organisation in turn). The plain definition
    that ``series(by_organisation=True)`` is tested against."""
    rows = db.execute(
        f"""SELECT o.organisation_id, count(*) FILTER (WHERE u.hit), count(*)
            FROM ({outcome.units}) AS u JOIN ({PERSON_ORGANISATIONS}) AS o USING (person_key)
            GROUP BY o.organisation_id"""
    ).fetchall()
    return {int(org): (int(hit or 0), int(total or 0)) for org, hit, total in rows}


@dataclass(frozen=True)
class Share:
    """A share with the counts behind it; ``suppressed`` when either count is small."""

    numerator: int | None
    denominator: int | None
    suppressed: bool

    @property
    def percent(self) -> float | None:
        if self.suppressed or not self.denominator:
            return None
        return round(100 * (self.numerator or 0) / self.denominator, 1)


def suppress_count(value: int, *, threshold: int = SMALL_NUMBER) -> int | None:
    """Counts of 1 to threshold-1 are not shown (0 is: nobody is identified by it)."""
    return None if 0 < value < threshold else value


def share(numerator: int, denominator: int, *, threshold: int = SMALL_NUMBER) -> Share:
    hidden = suppress_count(numerator, threshold=threshold) is None or (
        suppress_count(denominator - numerator, threshold=threshold) is None
    )
    hidden = hidden or suppress_count(denominator, threshold=threshold) is None
    if hidden:
        return Share(None, suppress_count(denominator, threshold=threshold), True)
    return Share(numerator, denominator, False)


# Case-managed people followed for 90+ days after entry (their case opening), with the days
# of follow-up counted (up to a year): the population of the before/after crisis figures.
CRISIS_PEOPLE = """
    SELECT person_key, case_opened_on AS entry,
           least(date_diff('day', case_opened_on, as_of()), 365) AS days_after
    FROM cohort
    WHERE case_managed AND date_diff('day', case_opened_on, as_of()) >= 90
"""


# Crisis events of each person of ``p`` (a CTE of ``CRISIS_PEOPLE``) and kind: in the year
# before entry, and after entry up to the report's day: the year after less the events from
# that day on (which had not happened by then), so a row per person and kind is read
# instead of every event near entry.
CRISIS_COUNTS = """
    SELECT c.person_key, c.kind, c.before, c.after_year - coalesce(l.n, 0) AS after
    FROM raw_crisis_entry_counts c JOIN p USING (person_key)
    LEFT JOIN (SELECT e.person_key, e.kind, count(*) AS n
               FROM raw_crisis_near_entry e JOIN p USING (person_key)
               WHERE e.occurred_on >= as_of() AND e.occurred_on >= p.entry
               GROUP BY e.person_key, e.kind) AS l USING (person_key, kind)
"""


def crisis_rates(db: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Crisis events per person-year in the year before entry (case opened) and after it
    (up to a year, or to today), by kind, for case-managed people with a year of history
    before entry and at least 90 days after."""
    people_sql = CRISIS_PEOPLE
    totals = db.execute(f"SELECT count(*), sum(days_after) FROM ({people_sql})").fetchone()
    people, days_after = (totals[0], totals[1] or 0) if totals else (0, 0)
    rows = [
        (kind, before, after, people, days_after / 365.0)
        for kind, before, after in db.execute(
            f"""
            WITH p AS ({people_sql}), counts AS ({CRISIS_COUNTS})
            SELECT kind, sum(before), sum(after) FROM counts GROUP BY kind ORDER BY kind
            """
        ).fetchall()
    ]
    out = []
    for kind, before, after, people, after_years in rows:
        before, after = int(before), int(after)
        out.append(
            {
                "kind": kind,
                "people": people,
                "before_per_person_year": round(before / people, 3) if people else None,
                "after_per_person_year": round(after / after_years, 3) if after_years else None,
                "before_events": suppress_count(before),
                "after_events": suppress_count(after),
            }
        )
    return out
