"""The matched evaluation: people who received integrated support (case managed) against
people known to agencies who were not, matched exactly on age band, district, population
group and baseline need (coarsened exact matching), with 95% confidence intervals.

Observational: matching removes differences in what was matched on, not in what was not
(motivation, crises that led to a case). The page says so.

Estimate: the average effect on the treated (ATT). Within each stratum (one combination of
the matching variables) with at least one person of each kind, the difference of means;
strata are weighted by their number of treated people. Its variance is the weighted sum of
the strata's ``var_t/n_t + var_c/n_c`` (the pooled variance of the stratum where a side has
a single person)."""

from __future__ import annotations

import math
from typing import Any

import duckdb

from wraparound.analytics.filters import Filters
from wraparound.analytics.outcomes import SMALL_NUMBER
from wraparound.analytics.results import Chart, Col, ReportResult, ResultTable, rows_of

Z95 = 1.96
FOLLOW_UP_DAYS = 90

# One row per person with assessment days at least FOLLOW_UP_DAYS apart:
# who they are (matching variables), whether case managed, baseline need and the two
# outcomes. The first and latest mean need as of the day are the person's row of
# ``need_spans`` valid on it; the crisis events of the year from the first day, that
# year's count less those after the day (not yet happened by then).
PEOPLE_SQL = f"""
WITH spans AS (
    SELECT person_key, first_on, baseline, latest, crises_year
    FROM need_spans WHERE date_diff('day', first_on, valid_from) >= {FOLLOW_UP_DAYS}
), late AS (
    SELECT person_key, count(*) AS n FROM raw_crises_after_first
    WHERE occurred_on > as_of() GROUP BY person_key
)
SELECT c.person_key,
       c.case_managed AND c.case_opened_on <= p.first_on + INTERVAL 60 DAY AS treated,
       coalesce(c.age_band, 'unknown') AS age_band,
       coalesce(c.district_code, 'unknown') AS district,
       coalesce(list_sort(c.population_groups)[1], 'none') AS population_group,
       floor(p.baseline) AS baseline_band,
       p.baseline, p.latest - p.baseline AS change,
       (p.crises_year - coalesce(l.n, 0)) * 365.0
           / greatest(least(date_diff('day', p.first_on, as_of()), 365), 1) AS crises_per_year
FROM cohort c JOIN spans p USING (person_key) LEFT JOIN late l USING (person_key)
WHERE NOT c.case_managed OR c.case_opened_on <= p.first_on + INTERVAL 60 DAY
"""

STRATA_SQL = f"""
SELECT age_band, district, population_group, baseline_band, treated, count(*) AS n,
       avg(change) AS change_mean, coalesce(var_samp(change), 0) AS change_var,
       avg(crises_per_year) AS crises_mean, coalesce(var_samp(crises_per_year), 0) AS crises_var,
       avg(baseline) AS baseline_mean
FROM ({PEOPLE_SQL})
GROUP BY ALL
"""

OUTCOMES = (
    ("change", "Change in mean need score (first to latest; + is better)"),
    ("crises", "Crisis events per person-year after the first assessment"),
)


def att(strata: list[dict[str, Any]], outcome: str) -> dict[str, Any]:
    """The average effect on the treated over strata that have both kinds of people."""
    by_key: dict[tuple[Any, ...], dict[bool, dict[str, Any]]] = {}
    for row in strata:
        key = (row["age_band"], row["district"], row["population_group"], row["baseline_band"])
        by_key.setdefault(key, {})[bool(row["treated"])] = row
    matched = [(s[True], s[False]) for s in by_key.values() if True in s and False in s]
    treated_n = sum(t["n"] for t, _ in matched)
    if not treated_n:
        return {"treated": 0, "comparison": 0, "effect": None, "low": None, "high": None}
    effect = 0.0
    variance = 0.0
    for t, c in matched:
        weight = t["n"] / treated_n
        mean_t, mean_c = t[f"{outcome}_mean"], c[f"{outcome}_mean"]
        var_t, var_c = t[f"{outcome}_var"], c[f"{outcome}_var"]
        if t["n"] < 2 or c["n"] < 2:  # one person: borrow the stratum's pooled variance
            pooled = max(var_t, var_c)
            var_t = var_t if t["n"] >= 2 else pooled
            var_c = var_c if c["n"] >= 2 else pooled
        effect += weight * (mean_t - mean_c)
        variance += weight**2 * (var_t / t["n"] + var_c / c["n"])
    se = math.sqrt(variance)
    return {
        "treated": treated_n,
        "comparison": sum(c["n"] for _, c in matched),
        "effect": round(effect, 3),
        "low": round(effect - Z95 * se, 3),
        "high": round(effect + Z95 * se, 3),
    }


def evaluation(db: duckdb.DuckDBPyConnection, filters: Filters) -> ReportResult:
    result = ReportResult(
        "evaluation", "Evaluation: integrated support against a matched group", filters
    )
    # Computed once: the effects and the balance table both read the strata.
    db.execute(f"CREATE OR REPLACE TEMP TABLE strata AS {STRATA_SQL}")
    strata = rows_of(db, "SELECT * FROM strata")
    treated_all = sum(r["n"] for r in strata if r["treated"])
    comparison_all = sum(r["n"] for r in strata if not r["treated"])
    rows = []
    for code, label in OUTCOMES:
        found = att(strata, code)
        small = found["treated"] < SMALL_NUMBER or found["comparison"] < SMALL_NUMBER
        rows.append(
            {
                "outcome": label,
                "treated": None if small else found["treated"],
                "comparison": None if small else found["comparison"],
                "effect": None if small else found["effect"],
                "low": None if small else found["low"],
                "high": None if small else found["high"],
            }
        )
    result.tables.append(
        ResultTable(
            "effects",
            "Difference between case-managed people and matched comparison people (95% CI)",
            [
                Col("outcome", "Outcome", numeric=False),
                Col("treated", "Case-managed people matched"),
                Col("comparison", "Comparison people matched"),
                Col("effect", "Difference"),
                Col("low", "95% CI low"),
                Col("high", "95% CI high"),
            ],
            rows,
        )
    )
    balance = rows_of(
        db,
        """WITH m AS (
                SELECT t.age_band, t.district, t.population_group, t.baseline_band, t.n AS n_t,
                       t.baseline_mean AS b_t, c.n AS n_c, c.baseline_mean AS b_c
                FROM strata t JOIN strata c
                  USING (age_band, district, population_group, baseline_band)
                WHERE t.treated AND NOT c.treated
            )
            SELECT age_band, sum(n_t) AS treated, sum(n_c) AS comparison,
                   sum(n_t * b_t) / sum(n_t) AS baseline_treated,
                   sum(n_t * b_c) / sum(n_t) AS baseline_comparison_weighted
            FROM m GROUP BY age_band ORDER BY age_band""",
    )
    for row in balance:
        if row["treated"] < SMALL_NUMBER or row["comparison"] < SMALL_NUMBER:
            for key in (
                "treated",
                "comparison",
                "baseline_treated",
                "baseline_comparison_weighted",
            ):
                row[key] = None
        else:
            row["baseline_treated"] = round(float(row["baseline_treated"]), 2)
            row["baseline_comparison_weighted"] = round(
                float(row["baseline_comparison_weighted"]), 2
            )
    result.tables.append(
        ResultTable(
            "balance",
            "Balance after matching: baseline need by age band",
            [
                Col("age_band", "Age band", numeric=False),
                Col("treated", "Case managed"),
                Col("comparison", "Comparison"),
                Col("baseline_treated", "Baseline mean score, case managed"),
                Col("baseline_comparison_weighted", "Baseline mean score, comparison (weighted)"),
            ],
            balance,
        )
    )
    change = rows[0]
    if change["effect"] is not None:
        result.summary.append(
            f"Observational comparison for {filters.describe()}: {change['treated']} case-managed "
            f"people matched with {change['comparison']} comparison people "
            f"(of {treated_all} and {comparison_all} with two assessments "
            f"{FOLLOW_UP_DAYS}+ days apart). Their mean need score changed by {change['effect']:+} "
            f"points more (95% CI {change['low']:+} to {change['high']:+})."
        )
        crises = rows[1]
        if crises["effect"] is not None:
            result.summary.append(
                f"Crisis events per person-year after the first assessment differed by "
                f"{crises['effect']:+} (95% CI {crises['low']:+} to {crises['high']:+})."
            )
        values = [
            {"outcome": r["outcome"], "effect": r["effect"], "low": r["low"], "high": r["high"]}
            for r in rows
            if r["effect"] is not None
        ]
        result.charts.append(
            Chart(
                "Differences with 95% confidence intervals",
                "Dot-and-whisker chart of the difference between case-managed and matched "
                "comparison people: "
                + "; ".join(
                    f"{v['outcome']}: {v['effect']:+} ({v['low']:+} to {v['high']:+})"
                    for v in values
                )
                + ". An interval that crosses zero is compatible with no difference.",
                "effects",
                {
                    "title": "Difference (case managed - matched comparison)",
                    "width": 560,
                    "data": {"values": values},
                    "layer": [
                        {
                            "mark": "rule",
                            "encoding": {
                                "y": {"field": "outcome", "type": "nominal", "title": None},
                                "x": {
                                    "field": "low",
                                    "type": "quantitative",
                                    "title": "Difference",
                                },
                                "x2": {"field": "high"},
                            },
                        },
                        {
                            "mark": {"type": "point", "filled": True, "size": 80},
                            "encoding": {
                                "y": {"field": "outcome", "type": "nominal"},
                                "x": {"field": "effect", "type": "quantitative"},
                            },
                        },
                        {
                            "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#505a5f"},
                            "encoding": {"x": {"datum": 0}},
                        },
                    ],
                },
            )
        )
    else:
        result.summary.append(
            f"For {filters.describe()}: too few people could be matched for a comparison "
            f"(at least {SMALL_NUMBER} of each kind are needed)."
        )
    result.notes.extend(
        [
            "Observational, not a trial: people were not assigned to support at random. "
            "Matching makes the groups alike in what was matched on, not in anything else "
            "(for example what brought someone to a key worker), so the difference is an "
            "association, not proof of an effect.",
            "Who is compared: case-managed people (a case with a key worker opened within 60 "
            "days of their first assessment) against people assessed by agencies who never "
            f"had one, each with two assessments at least {FOLLOW_UP_DAYS} days apart.",
            "Matching: coarsened exact matching on age band, district, first population group "
            "and baseline need (the mean matrix score at the first assessment, in whole-point "
            "bands). Strata without both kinds of people are dropped; comparison people are "
            "weighted to the case-managed people's mix (the effect on the treated).",
            "Confidence intervals: 95%, from the strata's variances (normal approximation).",
        ]
    )
    return result
