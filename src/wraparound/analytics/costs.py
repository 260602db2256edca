"""Costs and cost-benefit: the cost of support (service events x the unit cost at the
time) per person and per outcome achieved, and crisis costs before and after entry (crisis
events x the network's crisis unit costs, ``CrisisUnitCosts``), with the net and per-£
figures and every assumption printed beside them; compared between tiers and population
groups."""

from __future__ import annotations

from typing import Any

import duckdb

from wraparound.analytics.filters import Filters, sql_literal
from wraparound.analytics.outcomes import (
    CRISIS_COUNTS,
    CRISIS_PEOPLE,
    OUTCOMES_BY_CODE,
    SMALL_NUMBER,
    count_outcomes,
)
from wraparound.analytics.results import Chart, Col, ReportResult, ResultTable, rows_of
from wraparound.assessments.models import Tier
from wraparound.people.choices import PopulationGroup

# Outcomes a cost per outcome is given for (people or domains achieving them).
COSTED_OUTCOMES = ("reached_safe", "stable_housing_6m", "goals_achieved")


# The cost of support of each person of ``p`` (a CTE of ``CRISIS_PEOPLE``) from entry up to
# the report's day: the year after entry less the days from that day on.
SUPPORT_AFTER_ENTRY = """
    SELECT y.person_key, y.cost - coalesce(late.cost, 0) AS support
    FROM raw_support_year_after_entry y JOIN p USING (person_key)
    LEFT JOIN (SELECT person_key, sum(cost) AS cost FROM raw_support_after_entry
               WHERE "on" >= as_of() GROUP BY person_key) AS late USING (person_key)
"""

# The cost-benefit figures of a group of people (``per_person`` rows).
_PER_GROUP = """count(*) AS people, sum(before_cost) / count(*) AS before,
               sum(after_cost) / (sum(days_after) / 365.0) AS after,
               sum(support) / (sum(days_after) / 365.0) AS support"""


def cost_benefit_by_group(
    db: duckdb.DuckDBPyConnection, unit_costs: dict[str, float]
) -> list[dict[str, Any]]:
    """For the current cohort, everyone and then each tier and population group: crisis
    costs per person-year before and after entry, the cost of support per person-year after
    entry, the net saving and the return per £ — in one grouped pass.

    Before: the crisis costs of the year before entry over the people; after: those from
    entry to the end of follow-up over the person-years followed (``CRISIS_PEOPLE``).
    Reads everyone's tier from ``tiers`` (made by ``costs``)."""
    # Each kind's unit cost (null for a kind without one: its events are not counted), as a
    # double: a literal such as 370.0 is a decimal, whose products are slower to sum.
    unit_cost = (
        "CASE c.kind "
        + " ".join(
            f"WHEN {sql_literal(kind)} THEN CAST({float(amount)} AS DOUBLE)"
            for kind, amount in unit_costs.items()
        )
        + " END"
        if unit_costs
        else "CAST(NULL AS DOUBLE)"
    )
    rows = rows_of(
        db,
        f"""
        WITH p AS ({CRISIS_PEOPLE}),
        crisis AS (
            SELECT c.person_key, sum(c.before * {unit_cost}) AS before_cost,
                   sum(c.after * {unit_cost}) AS after_cost
            FROM ({CRISIS_COUNTS}) AS c GROUP BY c.person_key
        ), support AS ({SUPPORT_AFTER_ENTRY}), per_person AS (
            SELECT p.person_key, p.days_after, coalesce(c.before_cost, 0) AS before_cost,
                   coalesce(c.after_cost, 0) AS after_cost, coalesce(s.support, 0) AS support
            FROM p LEFT JOIN crisis c USING (person_key) LEFT JOIN support s USING (person_key)
        )
        -- Everyone and each tier in one grouping; the population groups (several a person)
        -- joined.
        SELECT CASE WHEN grouping(t.tier) = 1 THEN 'everyone' ELSE 'tier:' || t.tier END AS grp,
               {_PER_GROUP}
        FROM per_person LEFT JOIN tiers t USING (person_key)
        GROUP BY GROUPING SETS ((), (t.tier))
        UNION ALL
        SELECT 'group:' || g.group_code, {_PER_GROUP}
        FROM per_person JOIN raw_person_groups g USING (person_key)
        GROUP BY g.group_code
        """,
    )
    found = {row["grp"]: row for row in rows}
    labels = [("everyone", "Everyone (filters applied)")]
    labels += [(f"tier:{t.value}", f"Tier: {t.label}") for t in Tier]
    labels += [(f"group:{g.value}", f"Group: {g.label}") for g in PopulationGroup]
    out = []
    for code, label in labels:
        row = found.get(code) or {"people": 0, "before": 0.0, "after": 0.0, "support": 0.0}
        shown = int(row["people"]) >= SMALL_NUMBER
        before, after = float(row["before"] or 0), float(row["after"] or 0)
        support = float(row["support"] or 0) or None
        avoided = before - after
        out.append(
            {
                "group": label,
                "people": int(row["people"]) if shown else None,
                "crisis_cost_before": round(before, 2) if shown else None,
                "crisis_cost_after": round(after, 2) if shown else None,
                "crisis_cost_avoided": round(avoided, 2) if shown else None,
                "support_cost": round(support, 2) if shown and support else None,
                "net": round(avoided - support, 2) if shown and support else None,
                "per_pound": round(avoided / support, 2) if shown and support else None,
            }
        )
    return out


def _support_people(db: duckdb.DuckDBPyConnection) -> None:
    """``support_people``: the cost of support in the period per person of the cohort who
    had any, with their tier and whether case managed (one pass over the services, which
    every support table then reads)."""
    db.execute(
        """CREATE OR REPLACE TEMP TABLE support_people AS
           SELECT s.person_key, s.cost, s.case_managed, t.tier
           FROM period_people_served s LEFT JOIN tiers t USING (person_key)"""
    )


def _support_by(
    db: duckdb.DuckDBPyConnection, group_sql: str, join: str = ""
) -> list[dict[str, Any]]:
    rows = rows_of(
        db,
        f"""SELECT {group_sql} AS grp, count(*) AS people, sum(s.cost) AS cost,
                   sum(s.cost) / count(*) AS per_person
            FROM support_people s {join} GROUP BY 1 ORDER BY 1""",
    )
    for row in rows:
        if int(row["people"]) < SMALL_NUMBER:
            row["people"] = row["cost"] = row["per_person"] = None
        else:
            row["cost"] = round(float(row["cost"] or 0), 2)
            row["per_person"] = round(float(row["per_person"] or 0), 2)
    return rows


def costs(db: duckdb.DuckDBPyConnection, filters: Filters) -> ReportResult:
    from wraparound.analytics.services import current_unit_costs

    result = ReportResult("costs", "Costs and cost-benefit", filters)
    unit = current_unit_costs(network_id=filters.network_id) if filters.network_id else None
    unit_costs = {k: float(v) for k, v in (unit.costs if unit else {}).items()}
    support_columns = [
        Col("people", "People supported"),
        Col("cost", "Cost of support (£)"),
        Col("per_person", "Per person (£)"),
    ]
    # Everyone's tier on the day, once (the support tables and the cost-benefit both read it).
    db.execute("CREATE OR REPLACE TEMP TABLE tiers AS SELECT * FROM person_tier")
    _support_people(db)
    by_tier = _support_by(db, "coalesce(tier, 'not assessed')")
    result.tables.append(
        ResultTable(
            "support_by_tier",
            "Cost of support by tier",
            [Col("grp", "Tier", numeric=False), *support_columns],
            by_tier,
        )
    )
    by_group = _support_by(
        db,
        "coalesce(g.group_code, 'none')",
        "LEFT JOIN raw_person_groups g USING (person_key)",
    )
    result.tables.append(
        ResultTable(
            "support_by_population_group",
            "Cost of support by population group (a person may be in several)",
            [Col("grp", "Population group", numeric=False), *support_columns],
            by_group,
        )
    )
    total = db.execute("SELECT sum(cost) FROM support_people WHERE case_managed").fetchone()
    total_cost = float(total[0] or 0) if total else 0.0
    per_outcome = []
    counts, _ = count_outcomes(db, [OUTCOMES_BY_CODE[code] for code in COSTED_OUTCOMES])
    for code in COSTED_OUTCOMES:
        outcome = OUTCOMES_BY_CODE[code]
        numerator, _ = counts[code]
        shown = numerator >= SMALL_NUMBER
        per_outcome.append(
            {
                "outcome": outcome.title,
                "achieved": numerator if shown else None,
                "cost_per_outcome": round(total_cost / numerator, 2) if shown else None,
            }
        )
    result.tables.append(
        ResultTable(
            "cost_per_outcome",
            f"Cost of case-managed support (£{total_cost:,.0f} in the period) per outcome achieved",
            [
                Col("outcome", "Outcome", numeric=False),
                Col("achieved", "Achieved"),
                Col("cost_per_outcome", "Cost per outcome (£)"),
            ],
            per_outcome,
        )
    )
    comparisons: list[dict[str, Any]] = []
    if unit is not None:
        comparisons = cost_benefit_by_group(db, unit_costs)
        overall = comparisons[0]
        result.tables.append(
            ResultTable(
                "cost_benefit",
                "Crisis costs before and after entry, per person-year, against the cost of support",
                [
                    Col("group", "People", numeric=False),
                    Col("people", "People followed"),
                    Col("crisis_cost_before", "Crisis cost before (£/person-year)"),
                    Col("crisis_cost_after", "Crisis cost after (£/person-year)"),
                    Col("crisis_cost_avoided", "Crisis cost avoided (£/person-year)"),
                    Col("support_cost", "Cost of support (£/person-year)"),
                    Col("net", "Net (£/person-year)"),
                    Col("per_pound", "Crisis cost avoided per £1 of support"),
                ],
                comparisons,
            )
        )
        if overall["people"]:
            result.summary.append(
                f"For {filters.describe()}: crisis costs went from "
                f"£{overall['crisis_cost_before']:,} to £{overall['crisis_cost_after']:,} per "
                f"person-year after entry (£{overall['crisis_cost_avoided']:,} "
                f"avoided) against £{overall['support_cost'] or 0:,} of support per person-year: "
                f"net £{overall['net'] or 0:,}, £{overall['per_pound'] or 0} avoided per £1 spent."
            )
            values = [
                {"group": r["group"], "per_pound": r["per_pound"]}
                for r in comparisons
                if r["per_pound"] is not None
            ]
            result.charts.append(
                Chart(
                    "Crisis cost avoided per £1 of support",
                    "Bar chart of crisis cost avoided per pound of support, for everyone and by "
                    "tier and population group: "
                    + ", ".join(f"{v['group']} £{v['per_pound']}" for v in values)
                    + ".",
                    "cost_benefit",
                    {
                        "title": "Crisis cost avoided per £1 of support",
                        "width": 560,
                        "data": {"values": values},
                        "mark": {"type": "bar", "color": "#1d70b8"},
                        "encoding": {
                            "y": {"field": "group", "type": "nominal", "title": None, "sort": None},
                            "x": {
                                "field": "per_pound",
                                "type": "quantitative",
                                "title": "£ avoided per £1",
                            },
                        },
                    },
                )
            )
        else:
            result.summary.append(
                f"For {filters.describe()}: too few people followed for 90 days to compare "
                "crisis costs."
            )
        result.notes.append(
            f"Crisis unit costs (version {unit.version}): "
            + ", ".join(f"{kind} £{amount:,.0f}" for kind, amount in sorted(unit_costs.items()))
            + f". Source: {unit.source}"
        )
    else:
        result.summary.append(
            "The network has not set crisis unit costs, so crisis costs avoided cannot be "
            "shown; managers set them under analytics configuration."
        )
    result.notes.extend(
        [
            "Cost of support: units delivered x the service's unit cost at the time of each "
            "service event; events with no unit cost are not counted.",
            "Before and after: crisis events in the year before the case opened and in up to "
            "a year after, for case-managed people followed for at least 90 days; per "
            "person-year so that shorter follow-up counts for less.",
            "Net = crisis cost avoided - cost of support; per £ = crisis cost avoided ÷ cost "
            "of support. A fall in crisis use after entry is not proof that support caused it "
            "(people often enter at a peak): see the matched evaluation.",
            f"Groups with fewer than {SMALL_NUMBER} people are suppressed.",
        ]
    )
    return result
