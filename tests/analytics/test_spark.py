"""The outcome definitions, written once in DuckDB's SQL, give the same counts on Spark
over the same Parquet snapshot (the path for a network that outgrows one machine)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics.synthetic import person, write_store
from wraparound.analytics.filters import Filters, open_filtered
from wraparound.analytics.outcomes import OUTCOMES
from wraparound.analytics.spark import count_on_spark, register_snapshot, to_spark

D = dt.date
AS_OF = D(2026, 1, 31)


@pytest.fixture
def snapshot(tmp_path, settings):
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    people, scores, crises, goals = [], [], [], []
    for i in range(30):
        key = f"p{i}"
        managed = i < 20
        people.append(
            person(
                key,
                case_managed=managed,
                case_opened_on=D(2025, 1, 1) if managed else None,
                stepped_down_on=D(2025, 6, 1) if i < 8 else None,
                population_groups=["homeless"] if i % 3 == 0 else [],
            )
        )
        for n, (day, score) in enumerate(
            [
                (D(2025, 1, 5), 1 + i % 3),
                (D(2025, 7, 2), 1 + (i * 7) % 5),
                (D(2025, 12, 20), 1 + (i * 3) % 5),
            ]
        ):
            for domain in ("housing", "income"):
                scores.append(
                    {
                        "assessment_id": i * 10 + n,
                        "person_key": key,
                        "completed_on": day,
                        "domain": domain,
                        "score": score,
                    }
                )
        if i % 4 == 0:
            crises.append(
                {"person_key": key, "kind": "shelter_night", "occurred_on": D(2025, 7, 1)}
            )
        goals.append(
            {
                "person_key": key,
                "need": "housing-instability",
                "agreed_on": D(2025, 2, 1),
                "target_on": D(2025, 8, 1),
                "achieved_on": D(2025, 7, 1) if i % 2 else None,
            }
        )
    return write_store(
        settings.ANALYTICS_DIR,
        {"people": people, "domain_scores": scores, "crisis_events": crises, "goals": goals},
    )


def test_outcome_sql_translates_to_spark():
    sql = to_spark("SELECT count(*) FROM cohort WHERE registered_on <= as_of()", as_of=AS_OF)
    assert "2026-01-31" in sql and "as_of" not in sql


def test_outcomes_agree_on_duckdb_and_spark(snapshot):
    from wraparound.linkage.engine import spark_session

    filters = Filters(end=AS_OF)
    db = open_filtered(filters)
    spark = spark_session()
    register_snapshot(spark, snapshot, filters=filters)
    for outcome in OUTCOMES:
        on_duckdb = outcome.count(db)
        assert on_duckdb[1] > 0, outcome.code
        assert count_on_spark(spark, outcome.sql, as_of=AS_OF) == on_duckdb, outcome.code
