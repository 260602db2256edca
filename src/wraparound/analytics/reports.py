"""The dashboards' reports, each a function of the filtered store (``filters.open_filtered``)
returning tables, charts and notes (``results.py``). They read DuckDB only — never the live
tables — and every count that could single someone out is suppressed (``suppress_count``).

``REPORTS`` is the registry the pages, the CSV downloads and ``bench/analytics.py`` use."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import duckdb

from wraparound.analytics.filters import (
    Filters,
    cohort_spans_sql,
    own_rows_hold_for_everyone,
    period_first_active_sql,
    runs_to_the_present,
)
from wraparound.analytics.outcomes import (
    OUTCOMES,
    OUTCOMES_BY_CODE,
    SMALL_NUMBER,
    count_outcomes,
    crisis_rates,
    series,
    share,
    suppress_count,
)
from wraparound.analytics.results import Chart, Col, Report, ReportResult, ResultTable, rows_of

CHART_WIDTH = 560


def _date_sql(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def _since(filters: Filters, column: str) -> str:
    """The period's start for an event column (the views already stop at its end)."""
    return f"{column} >= {_date_sql(filters.start)}" if filters.start else "TRUE"


def _names(model: str, network_id: int | None) -> dict[int, str]:
    """Organisation or service names for the tables (configuration, not personal data)."""
    from wraparound.directory.models import Organisation, Service

    if model == "organisation":
        query = Organisation.objects.all()
        if network_id:
            query = query.filter(network_id=network_id)
        return dict(query.values_list("pk", "name"))
    services = Service.objects.all()
    if network_id:
        services = services.filter(organisation__network_id=network_id)
    return dict(services.values_list("pk", "name"))


def _hide_small(rows: list[dict[str, Any]], count_keys: tuple[str, ...], *, guard: str) -> None:
    """Counts of 1-4 become None; when the ``guard`` count is hidden, so is every figure
    derived from it (sums, means, medians) in that row."""
    for row in rows:
        hidden_guard = suppress_count(int(row.get(guard) or 0)) is None
        for key in list(row):
            if key in count_keys:
                row[key] = suppress_count(int(row[key] or 0))
            elif hidden_guard and isinstance(row[key], float | int):
                row[key] = None


def _round(rows: list[dict[str, Any]], digits: int = 1) -> None:
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float):
                row[key] = round(value, digits)


def _bar(
    title: str, rows: list[dict[str, Any]], x: str, y: str, x_title: str, y_title: str
) -> dict[str, Any]:
    return {
        "title": title,
        "width": CHART_WIDTH,
        "data": {"values": [r for r in rows if r.get(y) is not None]},
        "mark": {"type": "bar", "color": "#1d70b8"},
        "encoding": {
            "y": {"field": x, "type": "nominal", "title": x_title, "sort": "-x"},
            "x": {"field": y, "type": "quantitative", "title": y_title},
        },
    }


def _lines(
    title: str, rows: list[dict[str, Any]], series: list[tuple[str, str]], y_title: str
) -> dict[str, Any]:
    values = [
        {"month": str(r["month"]), "series": label, "value": r[key]}
        for r in rows
        for key, label in series
        if r.get(key) is not None
    ]
    return {
        "title": title,
        "width": CHART_WIDTH,
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "title": "Month"},
            "y": {"field": "value", "type": "quantitative", "title": y_title},
            "color": {"field": "series", "type": "nominal", "title": None},
            "strokeDash": {"field": "series", "type": "nominal", "title": None},
        },
    }


# --- Outputs ----------------------------------------------------------------------------------


def outputs(db: duckdb.DuckDBPyConnection, filters: Filters) -> ReportResult:
    result = ReportResult("outputs", "Outputs: referrals, enrolments and services", filters)
    org = filters.organisation
    ref_org = (
        f"(receiving_organisation_id = {int(org)} OR referring_organisation_id = {int(org)})"
        if org
        else "TRUE"
    )
    own = f"organisation_id = {int(org)}" if org else "TRUE"
    as_of = _date_sql(filters.as_of)
    db.execute(
        f"""CREATE OR REPLACE TEMP VIEW r AS
            SELECT * FROM period_referral_waits WHERE {ref_org}"""
    )
    db.execute(
        f"""CREATE OR REPLACE TEMP VIEW e AS
            SELECT * FROM enrolments
            WHERE {_since(filters, "started_on")} AND {own}"""
    )
    # Services delivered in the period: summed per month and organisation in one pass (the
    # months and organisations tables read those sums).
    db.execute(
        f"""CREATE OR REPLACE TEMP TABLE s AS
            SELECT month, organisation_id, sum(events) AS events, sum(units) AS units,
                   sum(cost) AS cost
            FROM period_service_months WHERE {own} GROUP BY month, organisation_id"""
    )
    # The people served, with their district, and the services by service. For a period to
    # the present (not one organisation's), the people as kept per person (one row each)
    # and the services from the rows kept per person, service and organisation; otherwise
    # both from the services summed once per person and service.
    if not org and runs_to_the_present(db, filters):
        db.execute(
            """CREATE OR REPLACE TEMP TABLE served AS
               SELECT person_key, events, cost, district_code FROM period_people_served"""
        )
        person_services = "period_person_services"
    else:
        db.execute(
            f"""CREATE OR REPLACE TEMP TABLE person_services AS
               SELECT person_key, service_id, sum(events) AS events, sum(units) AS units,
                      sum(cost) AS cost
               FROM period_person_services WHERE {own} GROUP BY person_key, service_id"""
        )
        db.execute(
            """CREATE OR REPLACE TEMP TABLE served AS
               SELECT s.person_key, sum(s.events) AS events, sum(s.cost) AS cost,
                      any_value(p.district_code) AS district_code
               FROM person_services s JOIN cohort_rows p USING (person_key)
               GROUP BY s.person_key"""
        )
        person_services = "person_services"
    # The referrals by month, by receiving and by referring organisation: a referral is
    # accepted or completed if it was by the report's day. Three groupings rather than
    # grouping sets, which computed the median for every set, slower than the three passes.
    accepted_by_then = f"accepted_on <= {as_of}"
    figures = f"""count(*) AS n, count(*) FILTER (WHERE {accepted_by_then}) AS accepted,
        count(*) FILTER (WHERE status = 'completed' AND closed_on <= {as_of}) AS completed,
        median(days_to_accept) FILTER (WHERE {accepted_by_then}) AS days_to_accept"""
    db.execute(
        f"""CREATE OR REPLACE TEMP TABLE ref AS
            SELECT month, CAST(NULL AS BIGINT) AS receiver, CAST(NULL AS BIGINT) AS referrer,
                   {figures}
            FROM r GROUP BY 1
            UNION ALL
            SELECT NULL, receiving_organisation_id, NULL, {figures} FROM r GROUP BY 2
            UNION ALL
            SELECT NULL, NULL, referring_organisation_id, count(*), NULL, NULL, NULL
            FROM r GROUP BY 3"""
    )
    db.execute(
        """CREATE OR REPLACE TEMP TABLE enr AS
           SELECT CAST(date_trunc('month', started_on) AS DATE) AS month, organisation_id,
                  count(*) AS n
           FROM e
           GROUP BY GROUPING SETS ((CAST(date_trunc('month', started_on) AS DATE)),
                                   (organisation_id))"""
    )
    monthly = rows_of(
        db,
        """
        WITH ref AS (
            SELECT month, n AS made, accepted, completed, days_to_accept
            FROM ref WHERE month IS NOT NULL
        ), enr AS (SELECT month, n FROM enr WHERE month IS NOT NULL),
        svc AS (
            SELECT month, sum(events) AS n, sum(units) AS units, sum(cost) AS cost
            FROM s GROUP BY 1
        ),
        -- Every month with any of them (from the sums, not another pass over the rows).
        months AS (SELECT month FROM ref UNION SELECT month FROM enr UNION SELECT month FROM svc)
        SELECT m.month, coalesce(ref.made, 0) AS referrals_made,
               coalesce(ref.accepted, 0) AS referrals_accepted,
               coalesce(ref.completed, 0) AS referrals_completed,
               ref.days_to_accept AS median_days_to_accept, coalesce(enr.n, 0) AS enrolments,
               coalesce(svc.n, 0) AS service_events, svc.units AS units, svc.cost AS cost
        FROM months m LEFT JOIN ref USING (month) LEFT JOIN enr USING (month)
             LEFT JOIN svc USING (month)
        ORDER BY 1
        """,
    )
    counts = (
        "referrals_made",
        "referrals_accepted",
        "referrals_completed",
        "enrolments",
        "service_events",
    )
    for row in monthly:
        for key in counts:
            row[key] = suppress_count(int(row[key] or 0))
        if row["service_events"] is None:
            row["units"] = row["cost"] = None
        if row["referrals_accepted"] is None:
            row["median_days_to_accept"] = None
    _round(monthly)
    result.tables.append(
        ResultTable(
            "by_month",
            "Outputs by month",
            [
                Col("month", "Month", numeric=False),
                Col("referrals_made", "Referrals made"),
                Col("referrals_accepted", "Accepted"),
                Col("referrals_completed", "Completed"),
                Col("median_days_to_accept", "Median days to accept"),
                Col("enrolments", "Enrolments"),
                Col("service_events", "Service events"),
                Col("units", "Units"),
                Col("cost", "Cost (£)"),
            ],
            monthly,
        )
    )
    names = _names("organisation", filters.network_id)
    by_org = rows_of(
        db,
        """
        WITH received AS (
            SELECT receiver AS organisation_id, n AS received, accepted, completed,
                   days_to_accept
            FROM ref WHERE receiver IS NOT NULL
        ), made AS (
            SELECT referrer AS organisation_id, n AS made FROM ref WHERE referrer IS NOT NULL
        ), enr AS (
            SELECT organisation_id, n AS enrolments FROM enr WHERE organisation_id IS NOT NULL
        ),
        svc AS (SELECT organisation_id, sum(events) AS service_events, sum(units) AS units,
                       sum(cost) AS cost FROM s GROUP BY 1),
        orgs AS (SELECT organisation_id FROM received UNION SELECT organisation_id FROM made
                 UNION SELECT organisation_id FROM enr UNION SELECT organisation_id FROM svc)
        SELECT o.organisation_id, coalesce(made.made, 0) AS referrals_made,
               coalesce(received.received, 0) AS referrals_received,
               coalesce(received.accepted, 0) AS referrals_accepted,
               coalesce(received.completed, 0) AS referrals_completed,
               received.days_to_accept AS median_days_to_accept,
               coalesce(enr.enrolments, 0) AS enrolments,
               coalesce(svc.service_events, 0) AS service_events, svc.units, svc.cost
        FROM orgs o LEFT JOIN received USING (organisation_id)
             LEFT JOIN made USING (organisation_id)
             LEFT JOIN enr USING (organisation_id) LEFT JOIN svc USING (organisation_id)
        WHERE o.organisation_id IS NOT NULL
        """,
    )
    for row in by_org:
        row["organisation"] = names.get(row.pop("organisation_id"), "Unknown organisation")
        for key in (
            "referrals_made",
            "referrals_received",
            "referrals_accepted",
            "referrals_completed",
            "enrolments",
            "service_events",
        ):
            row[key] = suppress_count(int(row[key] or 0))
        if row["service_events"] is None:
            row["units"] = row["cost"] = None
        if row["referrals_accepted"] is None:
            row["median_days_to_accept"] = None
    by_org.sort(key=lambda r: r["organisation"])
    _round(by_org)
    result.tables.append(
        ResultTable(
            "by_organisation",
            "Outputs by organisation",
            [
                Col("organisation", "Organisation", numeric=False),
                Col("referrals_made", "Referrals made"),
                Col("referrals_received", "Referrals received"),
                Col("referrals_accepted", "Accepted"),
                Col("referrals_completed", "Completed"),
                Col("median_days_to_accept", "Median days to accept"),
                Col("enrolments", "Enrolments"),
                Col("service_events", "Service events"),
                Col("units", "Units"),
                Col("cost", "Cost (£)"),
            ],
            by_org,
        )
    )
    services = _names("service", filters.network_id)
    by_service = rows_of(
        db,
        f"""SELECT service_id, sum(events) AS service_events,
                   count(DISTINCT person_key) AS people, sum(units) AS units, sum(cost) AS cost
            FROM {person_services} GROUP BY service_id""",
    )
    for row in by_service:
        row["service"] = services.get(row.pop("service_id"), "Unknown service")
    _hide_small(by_service, ("service_events", "people"), guard="people")
    _round(by_service)
    by_service.sort(key=lambda r: r["service"])
    result.tables.append(
        ResultTable(
            "by_service",
            "Services delivered by service",
            [
                Col("service", "Service", numeric=False),
                Col("service_events", "Service events"),
                Col("people", "People"),
                Col("units", "Units"),
                Col("cost", "Cost (£)"),
            ],
            by_service,
        )
    )
    by_place = rows_of(
        db,
        """SELECT coalesce(district_code, 'unknown') AS district,
                  count(*) AS people, sum(events) AS service_events, sum(cost) AS cost
           FROM served GROUP BY 1 ORDER BY 1""",
    )
    _hide_small(by_place, ("people", "service_events"), guard="people")
    _round(by_place)
    result.tables.append(
        ResultTable(
            "by_district",
            "People served by district",
            [
                Col("district", "District code", numeric=False),
                Col("people", "People served"),
                Col("service_events", "Service events"),
                Col("cost", "Cost (£)"),
            ],
            by_place,
        )
    )
    by_group = rows_of(
        db,
        """SELECT coalesce(g.group_code, 'none') AS population_group,
                  count(*) AS people, sum(p.events) AS service_events, sum(p.cost) AS cost
           FROM served p LEFT JOIN raw_person_groups g USING (person_key)
           GROUP BY 1 ORDER BY 1""",
    )
    _hide_small(by_group, ("people", "service_events"), guard="people")
    _round(by_group)
    result.tables.append(
        ResultTable(
            "by_population_group",
            "People served by population group (a person may be in several)",
            [
                Col("population_group", "Population group", numeric=False),
                Col("people", "People served"),
                Col("service_events", "Service events"),
                Col("cost", "Cost (£)"),
            ],
            by_group,
        )
    )
    made = sum(r["referrals_made"] or 0 for r in monthly)
    accepted = sum(r["referrals_accepted"] or 0 for r in monthly)
    events = sum(r["service_events"] or 0 for r in monthly)
    result.summary.append(
        f"For {filters.describe()}: {made} referrals made, {accepted} accepted, "
        f"{sum(r['enrolments'] or 0 for r in monthly)} enrolments and {events} service events "
        f"over {len(monthly)} months."
    )
    result.charts.append(
        Chart(
            "Referrals by month",
            f"Line chart of referrals made, accepted and completed each month: {made} made and "
            f"{accepted} accepted in total. The same figures are in the table 'Outputs by month'.",
            "by_month",
            _lines(
                "Referrals by month",
                monthly,
                [
                    ("referrals_made", "Made"),
                    ("referrals_accepted", "Accepted"),
                    ("referrals_completed", "Completed"),
                ],
                "Referrals",
            ),
        )
    )
    busiest = max(by_org, key=lambda r: r["service_events"] or 0, default=None)
    result.charts.append(
        Chart(
            "Service events by organisation",
            "Bar chart of service events delivered by each organisation"
            + (
                f"; the most by {busiest['organisation']} ({busiest['service_events']})."
                if busiest and busiest["service_events"]
                else "."
            ),
            "by_organisation",
            _bar(
                "Service events by organisation",
                by_org,
                "organisation",
                "service_events",
                "Organisation",
                "Service events",
            ),
        )
    )
    result.notes.append(
        "Outputs are activity (service delivery), not outcomes: see the outcomes page for "
        "whether people's situations changed."
    )
    result.notes.append(
        f"Counts from 1 to {SMALL_NUMBER - 1} are shown as 'suppressed', with the sums and "
        "medians that come from them."
    )
    return result


# --- Outcomes ---------------------------------------------------------------------------------


def outcome_rows(counts: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
    rows = []
    for outcome in OUTCOMES:
        numerator, denominator = counts[outcome.code]
        shown = share(numerator, denominator)
        rows.append(
            {
                "code": outcome.code,
                "outcome": outcome.title,
                "numerator": shown.numerator,
                "denominator": shown.denominator,
                "percent": shown.percent,
            }
        )
    return rows


def outcomes(db: duckdb.DuckDBPyConnection, filters: Filters) -> ReportResult:
    result = ReportResult("outcomes", "Outcomes: did people's situations change", filters)
    # Every outcome, and the change per domain from the same pass over the score pairs.
    counts, domains = count_outcomes(db, need_change=True)
    rows = outcome_rows(counts)
    result.tables.append(
        ResultTable(
            "outcomes",
            "Outcomes with the counts behind each percentage",
            [
                Col("outcome", "Outcome", numeric=False),
                Col("numerator", "People or domains with the outcome"),
                Col("denominator", "Out of"),
                Col("percent", "%"),
            ],
            rows,
        )
    )
    for row in domains:
        for key in ("improved", "unchanged", "worse"):
            part = share(int(row[key]), int(row["pairs"]))
            row[f"{key}_percent"] = part.percent
            row[key] = part.numerator
        row["pairs"] = suppress_count(int(row["pairs"]))
        row["mean_change"] = (
            round(float(row["mean_change"]), 2) if row["pairs"] is not None else None
        )
    result.tables.append(
        ResultTable(
            "need_change",
            "Change in assessed need per domain, first to latest assessment",
            [
                Col("domain", "Domain", numeric=False),
                Col("pairs", "People assessed twice or more"),
                Col("improved_percent", "% improved"),
                Col("unchanged_percent", "% unchanged"),
                Col("worse_percent", "% worse"),
                Col("mean_change", "Mean change (points)"),
            ],
            domains,
        )
    )
    crisis = crisis_rates(db)
    result.tables.append(
        ResultTable(
            "crisis_use",
            "Crisis use per person-year, the year before entry and after",
            [
                Col("kind", "Crisis", numeric=False),
                Col("people", "People"),
                Col("before_per_person_year", "Before, per person-year"),
                Col("after_per_person_year", "After, per person-year"),
                Col("before_events", "Events before"),
                Col("after_events", "Events after"),
            ],
            crisis,
        )
    )
    shown = [r for r in rows if r["percent"] is not None]
    result.summary.append(
        f"For {filters.describe()}, on {filters.as_of:%d %B %Y}: "
        + (
            "; ".join(
                f"{r['outcome']} {r['percent']}% ({r['numerator']} of {r['denominator']})"
                for r in shown
            )
            if shown
            else "too few people to show any outcome"
        )
        + "."
    )
    result.charts.append(
        Chart(
            "Outcomes",
            "Bar chart of the percentage achieving each outcome; "
            + ", ".join(f"{r['outcome']}: {r['percent']}%" for r in shown)
            + ". Suppressed outcomes are left out.",
            "outcomes",
            _bar("Outcomes (%)", rows, "outcome", "percent", "Outcome", "Per cent"),
        )
    )
    result.charts.append(
        Chart(
            "Mean change in need by domain",
            "Bar chart of the mean change in each domain's score from the first to the latest "
            "assessment (positive is better): "
            + ", ".join(
                f"{r['domain']} {r['mean_change']:+}"
                for r in domains
                if r["mean_change"] is not None
            )
            + ".",
            "need_change",
            _bar(
                "Mean change in score",
                domains,
                "domain",
                "mean_change",
                "Domain",
                "Points (1-5 scale)",
            ),
        )
    )
    for outcome in OUTCOMES:
        result.notes.append(
            f"{outcome.title}: {outcome.description} Numerator: {outcome.numerator}. "
            f"Denominator: {outcome.denominator}. Excluded: {outcome.exclusions}."
        )
    result.notes.append(
        "Crisis use: events per person-year in the year before the case opened and in up to "
        "a year after, for case-managed people followed for 90 days or more."
    )
    return result


# --- Satisfaction -----------------------------------------------------------------------------

QUESTIONS = (
    ("told_story_once", "Told my story once"),
    ("knew_who_to_contact", "Knew who to contact"),
    ("agencies_talked", "Agencies talked to each other"),
    ("overall", "Overall satisfaction"),
)


def _satisfaction_rows(
    db: duckdb.DuckDBPyConnection, filters: Filters, group: str
) -> list[dict[str, Any]]:
    means = ", ".join(f"avg({q}) AS {q}" for q, _ in QUESTIONS)
    agree = ", ".join(
        f"count(*) FILTER (WHERE {q} >= 4) * 100.0 / nullif(count({q}), 0) AS {q}_agree"
        for q, _ in QUESTIONS
    )
    rows = rows_of(
        db,
        f"""SELECT {group} AS grp, count(*) AS sent, count(answered_on) AS answered,
                   {means}, {agree}
            FROM satisfaction s JOIN cohort_rows c USING (person_key)
            WHERE {_since(filters, "sent_on")}
            GROUP BY 1 ORDER BY 1""",
    )
    for row in rows:
        hidden = suppress_count(int(row["answered"])) is None
        row["sent"] = suppress_count(int(row["sent"]))
        row["answered"] = None if hidden else int(row["answered"])
        for key in list(row):
            if key not in {"grp", "sent", "answered"}:
                row[key] = None if hidden or row[key] is None else round(float(row[key]), 1)
    return rows


def satisfaction(db: duckdb.DuckDBPyConnection, filters: Filters) -> ReportResult:
    result = ReportResult("satisfaction", "Satisfaction: the experience of coordination", filters)
    names = _names("organisation", filters.network_id)
    columns = (
        [Col("sent", "Surveys sent"), Col("answered", "Answered")]
        + [Col(q, f"{label} (mean 1-5)") for q, label in QUESTIONS]
        + [Col(f"{q}_agree", f"{label}: % agree") for q, label in QUESTIONS]
    )
    by_org = _satisfaction_rows(db, filters, "s.organisation_id")
    for row in by_org:
        row["organisation"] = names.get(row.pop("grp"), "Unknown organisation")
    by_area = _satisfaction_rows(db, filters, "coalesce(c.district_code, 'unknown')")
    for row in by_area:
        row["district"] = row.pop("grp")
    overall = _satisfaction_rows(db, filters, "'all'")
    result.tables.append(
        ResultTable(
            "by_organisation",
            "Satisfaction by organisation",
            [Col("organisation", "Organisation", numeric=False), *columns],
            by_org,
        )
    )
    result.tables.append(
        ResultTable(
            "by_district",
            "Satisfaction by district",
            [Col("district", "District code", numeric=False), *columns],
            by_area,
        )
    )
    total = overall[0] if overall else None
    if total and total["answered"]:
        result.summary.append(
            f"For {filters.describe()}: {total['answered']} answers to {total['sent']} surveys. "
            + "; ".join(
                f"{label}: {total[f'{q}_agree']}% agree"
                for q, label in QUESTIONS
                if total.get(f"{q}_agree") is not None
            )
            + "."
        )
        values = [{"question": label, "mean": total[q]} for q, label in QUESTIONS]
        result.charts.append(
            Chart(
                "Mean answer by question",
                "Bar chart of the mean answer (1 strongly disagree to 5 strongly agree) to each "
                "question: " + ", ".join(f"{v['question']} {v['mean']}" for v in values) + ".",
                "by_organisation",
                _bar("Mean answer (1-5)", values, "question", "mean", "Question", "Mean (1-5)"),
            )
        )
    else:
        result.summary.append(
            f"For {filters.describe()}: fewer than {SMALL_NUMBER} answers, so nothing is shown."
        )
    result.notes.append(
        "The survey is sent when support steps down or closes, through the portal or asked "
        "by the worker. 'Agree' is 4 or 5 on the five-point scale. Organisation is the one "
        f"that sent the survey. Groups with fewer than {SMALL_NUMBER} answers are suppressed."
    )
    return result


# --- Shared targets ---------------------------------------------------------------------------


def quarter_ends(until: dt.date, quarters: int = 8) -> list[dt.date]:
    """The last days of the ``quarters`` quarters up to ``until`` (the last is ``until``)."""
    days = [until]
    month = ((until.month - 1) // 3) * 3 + 1
    start = dt.date(until.year, month, 1)
    while len(days) < quarters:
        end = start - dt.timedelta(days=1)
        days.append(end)
        month = ((end.month - 1) // 3) * 3 + 1
        start = dt.date(end.year, month, 1)
    return sorted(days)


def target_progress(
    db: duckdb.DuckDBPyConnection,
    filters: Filters,
    target: Any,
    *,
    untiered: str = "",
    everyone: bool = False,
    first_active: str = "",
) -> dict[str, Any]:
    """One target's value each quarter, its value now and each organisation's contribution
    (the outcome among the people it served, and its share of everyone achieving it).
    ``untiered``: the cohort's spans without a tier, if made already."""
    outcome = OUTCOMES_BY_CODE[target.outcome]
    base = replace(filters, tier=target.tier or filters.tier)
    days = quarter_ends(base.as_of)
    values, by_organisation = series(
        db,
        outcome,
        base,
        days,
        by_organisation=not filters.organisation,
        untiered=untiered,
        everyone=everyone,
        first_active=first_active,
    )
    total_numerator = values[days[-1]][0]
    series_rows = []
    for day, (numerator, denominator) in values.items():
        shown = share(numerator, denominator)
        series_rows.append(
            {
                "quarter_end": day,
                "percent": shown.percent,
                "numerator": shown.numerator,
                "denominator": shown.denominator,
                "target": float(target.target_percent),
            }
        )
    contributions = []
    names = _names("organisation", filters.network_id)
    if not filters.organisation:
        for organisation_id, (numerator, denominator) in by_organisation.items():
            shown = share(numerator, denominator)
            contributions.append(
                {
                    "organisation": names.get(organisation_id, "Unknown organisation"),
                    "numerator": shown.numerator,
                    "denominator": shown.denominator,
                    "percent": shown.percent,
                    "share_of_achieved": (
                        round(100 * numerator / total_numerator, 1)
                        if total_numerator and not shown.suppressed
                        else None
                    ),
                }
            )
    contributions.sort(key=lambda r: str(r["organisation"]))
    return {"series": series_rows, "contributions": contributions, "now": series_rows[-1]}


def targets(db: duckdb.DuckDBPyConnection, filters: Filters) -> ReportResult:
    from wraparound.analytics.services import current_targets

    result = ReportResult("targets", "Shared targets", filters)
    found = current_targets(network_id=filters.network_id) if filters.network_id else []
    if not found:
        result.summary.append("The network has not set any shared targets yet.")
    untiered = first_active = ""
    everyone = bool(found) and own_rows_hold_for_everyone(db, filters)
    if found and everyone and filters.start and not filters.organisation:
        # Each person's first activity in the period, once for every target's series.
        db.execute(
            "CREATE OR REPLACE TEMP TABLE period_first_active AS "
            + period_first_active_sql(filters.start)
        )
        first_active = "period_first_active"
    elif found and (filters.start or filters.organisation):
        # The cohort's spans where they take joins (activity in a period, an organisation's
        # enrolments), once for every target's series, each adding its tier if it has one.
        db.execute(
            "CREATE OR REPLACE TEMP TABLE untiered_spans AS "
            + cohort_spans_sql(replace(filters, tier=""))
        )
        untiered = "untiered_spans"
    for target in found:
        progress = target_progress(
            db, filters, target, untiered=untiered, everyone=everyone, first_active=first_active
        )
        now = progress["now"]
        met = target.met_by(now["percent"])
        verdict = {True: "met", False: "not met", None: "too few people to tell"}[met]
        value = f"{now['percent']}%" if now["percent"] is not None else "suppressed"
        result.summary.append(
            f"{target.title}: {value} on {filters.as_of:%d %B %Y} against a target of "
            f"{target.get_direction_display().split(' (')[0].lower()} "
            f"{target.target_percent}% — {verdict}."
        )
        result.tables.append(
            ResultTable(
                f"{target.code}_over_time",
                f"{target.title}: by quarter",
                [
                    Col("quarter_end", "Quarter end", numeric=False),
                    Col("numerator", "Achieved"),
                    Col("denominator", "Out of"),
                    Col("percent", "%"),
                    Col("target", "Target %"),
                ],
                progress["series"],
            )
        )
        result.tables.append(
            ResultTable(
                f"{target.code}_contributions",
                f"{target.title}: by organisation (people each served)",
                [
                    Col("organisation", "Organisation", numeric=False),
                    Col("numerator", "Achieved"),
                    Col("denominator", "Out of"),
                    Col("percent", "%"),
                    Col("share_of_achieved", "Share of all achieved (%)"),
                ],
                progress["contributions"],
            )
        )
        values = [
            {"quarter_end": str(r["quarter_end"]), "series": "Achieved", "value": r["percent"]}
            for r in progress["series"]
            if r["percent"] is not None
        ] + [
            {"quarter_end": str(r["quarter_end"]), "series": "Target", "value": r["target"]}
            for r in progress["series"]
        ]
        result.charts.append(
            Chart(
                f"{target.title} against its target",
                f"Line chart of {target.title.lower()} at the end of each quarter against the "
                f"target line at {target.target_percent}%: "
                + ", ".join(
                    f"{r['quarter_end']:%b %Y} {r['percent']}%"
                    for r in progress["series"]
                    if r["percent"] is not None
                )
                + ".",
                f"{target.code}_over_time",
                {
                    "title": target.title,
                    "width": CHART_WIDTH,
                    "data": {"values": values},
                    "mark": {"type": "line", "point": True},
                    "encoding": {
                        "x": {"field": "quarter_end", "type": "temporal", "title": "Quarter end"},
                        "y": {
                            "field": "value",
                            "type": "quantitative",
                            "title": "Per cent",
                            "scale": {"domain": [0, 100]},
                        },
                        "color": {"field": "series", "type": "nominal", "title": None},
                        "strokeDash": {"field": "series", "type": "nominal", "title": None},
                    },
                },
            )
        )
        outcome = OUTCOMES_BY_CODE[target.outcome]
        result.notes.append(
            f"{target.title} (v{target.version}): outcome '{outcome.title}' — {outcome.description}"
            + (
                f" Only people in the {target.get_tier_display().lower()} tier."
                if target.tier
                else ""
            )
            + (f" Due by {target.due_on:%d %B %Y}." if target.due_on else "")
        )
    result.notes.append(
        "An organisation's contribution is the outcome among the people it served (an "
        "enrolment) or whose case it leads; a person served by several counts for each, so "
        "the shares can add up to more than 100%."
    )
    return result


# --- registry ---------------------------------------------------------------------------------


def _costs(db: duckdb.DuckDBPyConnection, filters: Filters) -> ReportResult:
    from wraparound.analytics.costs import costs

    return costs(db, filters)


def _evaluation(db: duckdb.DuckDBPyConnection, filters: Filters) -> ReportResult:
    from wraparound.analytics.evaluation import evaluation

    return evaluation(db, filters)


REPORTS: tuple[Report, ...] = (
    Report(
        "outputs",
        "Outputs",
        "Referrals made, accepted and completed, time to accept, enrolments and services "
        "delivered, by month, organisation, service, district and population group.",
        outputs,
    ),
    Report(
        "outcomes",
        "Outcomes",
        "Change in assessed need, reaching safe, stable housing, crisis use before and after, "
        "back in crisis after step-down and goals achieved.",
        outcomes,
    ),
    Report(
        "satisfaction",
        "Satisfaction",
        "People's experience of coordination, by organisation and district.",
        satisfaction,
    ),
    Report(
        "targets",
        "Shared targets",
        "The network's shared targets over time, with each organisation's contribution.",
        targets,
    ),
    Report(
        "costs",
        "Costs and cost-benefit",
        "Cost of support per person and per outcome, crisis costs before and after, by tier "
        "and population group.",
        _costs,
    ),
    Report(
        "evaluation",
        "Evaluation",
        "Case-managed people compared with a matched group who were not (observational).",
        _evaluation,
    ),
)
REPORTS_BY_CODE = {r.code: r for r in REPORTS}
