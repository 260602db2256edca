"""Eligibility engine: one household against 200 programmes, and 1,000,000 households in bulk.

(a) **single**: the single engine (rules compiled to Python closures) screens one household
    against 200 programmes of mixed rule shapes: verdict and the facts that would settle each
    unknown (what the API and ``eligible_service_ids`` need). Target p95 <= 5 ms. Printed
    beside: the same with the plain-words explanation of every condition (the staff page).
(b) **bulk**: 1,000,000 generated households x 50 programmes through the bulk engine (each
    rule compiled to DuckDB SQL), from the Arrow facts table to the Parquet file of who is
    likely eligible but not yet receiving each programme. Target <= 10 s end to end.

Printed beside, in the same run and on the same households:

- **loop**: the single engine called once per household on a sample, extrapolated to all;
- **OpenFisca** (``openfisca-country-template``, bench only, never imported by product code):
  50 income-test variables (``household income <= threshold by household size x factor``)
  computed by its vectorised simulation; our bulk engine computes the same 50 rules on the
  same households, and the per-rule counts of eligible households are checked to be equal.
  ``ratio_vs_openfisca`` = OpenFisca seconds / our seconds for that rule set (> 1: we are
  faster).

    python bench/eligibility.py [--households 1000000] [--programmes 50] [--loop-sample 20000]

Progress to stderr; one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from _common import Stats, log, print_json_line, ratio

from wraparound.eligibility.bulk import (
    arrow_schema,
    bulk_verdicts,
    verdict_query,
    write_likely_eligible,
)
from wraparound.eligibility.cel import check_rule
from wraparound.eligibility.engine import (
    Parameters,
    ParamTable,
    ParamUnit,
    Programme,
    Screener,
)
from wraparound.eligibility.facts import (
    Benefit,
    EmploymentStatus,
    HousingStatus,
    IncomeSource,
    facts,
)

THRESHOLDS = {1: 1200.0, 2: 1600.0, 3: 1900.0, 4: 2200.0, 5: 2450.0, 6: 2700.0}
PARAMS = Parameters(
    date(2026, 4, 1),
    {
        "low_income_threshold": ParamTable(
            "low_income_threshold",
            "low income threshold",
            ParamUnit.MONEY,
            "for a {key}-person household",
            tuple(THRESHOLDS),
            tuple(THRESHOLDS.values()),
        ),
        "pension_age": ParamTable("pension_age", "pension age", ParamUnit.YEARS, single=66.0),
        "young_person_max_age": ParamTable(
            "young_person_max_age", "upper age", ParamUnit.YEARS, single=25.0
        ),
    },
)
NEEDS = ["food-insecurity", "financial-insecurity", "housing-instability", "mental-health"]
GROUPS = ["homeless", "care_leaver", "refugee", "vulnerable_family"]
AREAS = [f"W0500{i:04d}" for i in range(40)]


def rule_shapes(rng: random.Random) -> str:
    """One rule of a randomly chosen realistic shape."""
    factor = rng.choice([0.6, 0.8, 1.0, 1.2])
    income = f'household.income_monthly <= param("low_income_threshold", household.size) * {factor}'
    need = rng.choice(NEEDS)
    area = rng.sample(AREAS, 5)
    low, high = sorted(rng.sample(range(90), 2))
    shapes = [
        income,
        f"{income} && household.children >= 1",
        f"person.age >= {low} && person.age <= {high}",
        'person.age >= param("pension_age") || household.over_65 >= 1',
        f'"{need}" in person.needs && ({income} || "universal_credit" in person.benefits)',
        f"person.area in {area!r}".replace("'", '"'),
        f'"{rng.choice(GROUPS)}" in person.population_groups || person.housing_status in '
        '["rough_sleeping", "sofa_surfing", "temporary"]',
        "person.carer || person.disabled",
        'person.age >= 16 && person.age <= param("young_person_max_age") && '
        'person.employment_status in ["unemployed", "student"]',
        f'household.income_monthly / param("low_income_threshold", household.size) <= {factor}',
    ]
    return rng.choice(shapes)


def programmes(n: int, rng: random.Random) -> list[Programme]:
    specs = PARAMS.specs()
    return [
        Programme(
            f"PG-{i:06d}",
            "programme",
            i,
            f"Programme {i}",
            "Org",
            check_rule(rule_shapes(rng), specs),
        )
        for i in range(1, n + 1)
    ]


def income_programmes(n: int) -> tuple[list[Programme], list[float]]:
    factors = [0.5 + i * (1.0 / n) for i in range(n)]
    specs = PARAMS.specs()
    return (
        [
            Programme(
                f"PG-{i:06d}",
                "programme",
                i,
                f"Income test {i}",
                "Org",
                check_rule(
                    "household.income_monthly <= "
                    f'param("low_income_threshold", household.size) * {factor!r}',
                    specs,
                ),
            )
            for i, factor in enumerate(factors, start=1)
        ],
        factors,
    )


# --- Generated households ----------------------------------------------------------------


def _maybe(values: np.ndarray, rng: np.random.Generator, missing: float) -> pa.Array:
    mask = rng.random(len(values)) < missing
    return pa.array(values, mask=mask)


def _lists(
    rng: np.random.Generator, n: int, vocabulary: list[str], p: float, missing: float
) -> pa.Array:
    chosen = rng.random((n, len(vocabulary))) < p
    counts = chosen.sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    values = np.array(vocabulary, dtype=object)[np.nonzero(chosen)[1]]
    mask = pa.array(rng.random(n) < missing)
    return pa.ListArray.from_arrays(
        pa.array(offsets), pa.array(values, type=pa.string()), mask=mask
    )


def generated_households(n: int, seed: int = 7) -> pa.Table:
    """Facts of n households in the bulk engine's layout, with some facts unknown."""
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 8, n)
    children = np.minimum(rng.integers(0, 4, n), size - 1)
    adults = size - children
    over_65 = np.minimum(rng.binomial(adults, 0.15), adults)
    income = np.round(rng.gamma(2.2, 700.0, n), 2)
    age = rng.integers(16, 95, n)
    columns: dict[str, pa.Array] = {
        "person_id": pa.array(np.arange(n, dtype=np.int64)),
        "person__age": _maybe(age, rng, 0.02),
        "person__sex": _maybe(rng.choice(np.array(["female", "male"], dtype=object), n), rng, 0.05),
        "person__area": _maybe(rng.choice(np.array(AREAS, dtype=object), n), rng, 0.05),
        "person__areas": _lists(rng, n, AREAS[:3], 0.3, 0.05),
        "person__population_groups": _lists(rng, n, GROUPS, 0.05, 0.02),
        "person__sensitive_groups": _lists(rng, n, ["disability", "domestic_abuse"], 0.05, 0.5),
        "person__needs": _lists(rng, n, NEEDS, 0.2, 0.3),
        "person__housing_status": _maybe(
            rng.choice(np.array(HousingStatus.values, dtype=object), n), rng, 0.3
        ),
        "person__employment_status": _maybe(
            rng.choice(np.array(EmploymentStatus.values, dtype=object), n), rng, 0.3
        ),
        "person__disabled": _maybe(rng.random(n) < 0.2, rng, 0.4),
        "person__carer": _maybe(rng.random(n) < 0.15, rng, 0.4),
        "person__income_monthly": _maybe(income * 0.7, rng, 0.3),
        "person__income_sources": _lists(rng, n, list(IncomeSource.values), 0.25, 0.3),
        "person__benefits": _lists(rng, n, list(Benefit.values), 0.1, 0.3),
        "person__services_received": _lists(rng, n, ["PG-000001", "PG-000002"], 0.1, 0.0),
        "household__size": pa.array(size.astype(np.int64)),
        "household__adults": _maybe(adults.astype(np.int64), rng, 0.05),
        "household__children": _maybe(children.astype(np.int64), rng, 0.05),
        "household__over_65": _maybe(over_65.astype(np.int64), rng, 0.05),
        "household__composition": _maybe(
            rng.choice(np.array(["single", "couple", "lone_parent", "other"], dtype=object), n),
            rng,
            0.05,
        ),
        "household__income_monthly": _maybe(income, rng, 0.25),
        "household__income_sources": _lists(rng, n, list(IncomeSource.values), 0.25, 0.3),
    }
    schema = arrow_schema()
    return pa.table([columns[f.name].cast(f.type) for f in schema], schema=schema)


def rows_of(table: pa.Table) -> list[dict[str, Any]]:
    by_column = {f.column: f.name for f in facts().values()}
    out = []
    for row in table.to_pylist():
        out.append({by_column[k]: v for k, v in row.items() if k in by_column})
    return out


# --- OpenFisca ---------------------------------------------------------------------------


def openfisca_income_tests(table: pa.Table, factors: list[float]) -> tuple[float, list[int]]:
    """The same 50 income tests as OpenFisca variables over the same households."""
    from openfisca_core.model_api import MONTH, Variable
    from openfisca_core.simulations import SimulationBuilder
    from openfisca_country_template import CountryTaxBenefitSystem
    from openfisca_country_template.entities import Household

    system = CountryTaxBenefitSystem()

    class wa_income(Variable):
        value_type = float
        entity = Household
        definition_period = MONTH
        default_value = float("nan")

    class wa_size(Variable):
        value_type = int
        entity = Household
        definition_period = MONTH

    system.add_variable(wa_income)
    system.add_variable(wa_size)
    sizes = np.array(sorted(THRESHOLDS))
    values = np.array([THRESHOLDS[k] for k in sorted(THRESHOLDS)])

    def make(index: int, factor: float) -> type:
        def formula(household: Any, period: Any, parameters: Any) -> Any:
            size = household("wa_size", period)
            threshold = values[
                np.searchsorted(sizes, np.minimum(size, sizes[-1]), side="right") - 1
            ]
            return household("wa_income", period) <= threshold * factor

        return type(
            f"wa_income_test_{index}",
            (Variable,),
            {
                "value_type": bool,
                "entity": Household,
                "definition_period": MONTH,
                "formula": formula,
            },
        )

    for i, factor in enumerate(factors):
        system.add_variable(make(i, factor))
    n = table.num_rows
    income = table.column("household__income_monthly").to_numpy(zero_copy_only=False)
    income = np.where(np.isnan(income.astype(float)), np.nan, income).astype(float)
    size = table.column("household__size").to_numpy()
    started = time.perf_counter()
    simulation = SimulationBuilder().build_default_simulation(system, count=n)
    period = "2026-04"
    simulation.set_input("wa_income", period, income)
    simulation.set_input("wa_size", period, size)
    counts = [
        int(simulation.calculate(f"wa_income_test_{i}", period).sum()) for i in range(len(factors))
    ]
    return time.perf_counter() - started, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--programmes", type=int, default=50)
    parser.add_argument("--single-programmes", type=int, default=200)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--loop-sample", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(11)

    # (a) one household against 200 programmes.
    log(f"single: compiling {args.single_programmes} programmes")
    single_programmes = programmes(args.single_programmes, rng)
    screener = Screener(single_programmes, PARAMS)
    sample = rows_of(generated_households(200, seed=3))
    for facts_row in sample[:20]:
        screener.screen(facts_row)  # warm
    screening: list[float] = []
    explained: list[float] = []
    gc.disable()
    for i in range(args.iterations):
        household = sample[i % len(sample)]
        t0 = time.perf_counter()
        screener.screen(household, explain=False)
        t1 = time.perf_counter()
        screener.screen(household)
        t2 = time.perf_counter()
        screening.append((t1 - t0) * 1000)
        explained.append((t2 - t1) * 1000)
    gc.enable()
    single = Stats.of(screening)
    single_explained = Stats.of(explained)
    log(
        f"single: p50 {single.p50_ms} ms, p95 {single.p95_ms} ms; with explanations "
        f"p95 {single_explained.p95_ms} ms"
    )

    # (b) bulk.
    log(f"bulk: generating {args.households:,} households")
    t0 = time.perf_counter()
    table = generated_households(args.households)
    generate_seconds = time.perf_counter() - t0
    bulk_programmes = programmes(args.programmes, rng)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "likely-eligible.parquet"
        t0 = time.perf_counter()
        bulk_screener = Screener(bulk_programmes, PARAMS)  # noqa: F841 (rules compiled as the command does)
        counts = write_likely_eligible(table, bulk_programmes, PARAMS, out)
        bulk_seconds = time.perf_counter() - t0
        rows_written = sum(counts.values())
        parquet_mb = out.stat().st_size / 1e6
    log(f"bulk: {bulk_seconds:.2f}s, {rows_written:,} rows, {parquet_mb:.1f} MB parquet")

    # Equality check on a slice: the bulk engine's verdicts against the single engine's.
    check = table.slice(0, 2000)
    bulk_check = bulk_verdicts(check, bulk_programmes, PARAMS)
    checker = Screener(bulk_programmes, PARAMS)
    mismatches = sum(bulk_check[i] != checker.verdicts(row) for i, row in enumerate(rows_of(check)))

    # Loop of the single engine, extrapolated.
    loop_rows = rows_of(table.slice(0, args.loop_sample))
    t0 = time.perf_counter()
    for row in loop_rows:
        checker.verdicts(row)
    loop_sample_seconds = time.perf_counter() - t0
    loop_seconds = loop_sample_seconds * args.households / len(loop_rows)
    log(f"loop: {loop_sample_seconds:.2f}s for {len(loop_rows):,} -> {loop_seconds:.1f}s in all")

    # OpenFisca on the same households, the same 50 income tests.
    income_rules, factors = income_programmes(args.programmes)
    import duckdb

    con = duckdb.connect()
    con.register("facts", table)
    query = verdict_query(income_rules, PARAMS)
    sums = ", ".join(f'count_if("r_{p.ref.replace("-", "_")}")' for p in income_rules)
    t0 = time.perf_counter()
    ours_counts = [int(c) for c in con.sql(f"SELECT {sums} FROM ({query})").fetchall()[0]]
    ours_income_seconds = time.perf_counter() - t0
    log(f"income tests, ours: {ours_income_seconds:.2f}s")
    openfisca_seconds, openfisca_counts = openfisca_income_tests(table, factors)
    log(f"income tests, OpenFisca: {openfisca_seconds:.2f}s")
    agree = ours_counts == openfisca_counts

    print(
        f"single household x {args.single_programmes}: p50 {single.p50_ms} ms, "
        f"p95 {single.p95_ms} ms (with every condition explained: p95 "
        f"{single_explained.p95_ms} ms)\n"
        f"bulk {args.households:,} x {args.programmes}: {bulk_seconds:.2f}s "
        f"({rows_written:,} likely-eligible rows); loop {loop_seconds:.1f}s extrapolated "
        f"({ratio(loop_seconds, bulk_seconds)}x slower)\n"
        f"income tests: ours {ours_income_seconds:.2f}s, OpenFisca {openfisca_seconds:.2f}s, "
        f"counts agree: {agree}; single vs bulk mismatches on 2,000: {mismatches}"
    )
    print_json_line(
        {
            "single_p50_ms": single.p50_ms,
            "single_p95_ms": single.p95_ms,
            "single_explained_p50_ms": single_explained.p50_ms,
            "single_explained_p95_ms": single_explained.p95_ms,
            "single_programmes": args.single_programmes,
            "single_target_ms": 5,
            "households": args.households,
            "programmes": args.programmes,
            "generate_seconds": round(generate_seconds, 2),
            "bulk_seconds": round(bulk_seconds, 2),
            "bulk_target_seconds": 10,
            "bulk_rows_written": rows_written,
            "loop_sample": len(loop_rows),
            "loop_seconds_extrapolated": round(loop_seconds, 1),
            "ratio_loop_vs_bulk": ratio(loop_seconds, bulk_seconds),
            "ours_income_tests_seconds": round(ours_income_seconds, 2),
            "openfisca_seconds": round(openfisca_seconds, 2),
            "ratio_vs_openfisca": ratio(openfisca_seconds, ours_income_seconds),
            "openfisca_counts_agree": agree,
            "single_vs_bulk_mismatches": mismatches,
            "met": single.p95_ms <= 5 and bulk_seconds <= 10,
        }
    )


if __name__ == "__main__":
    main()
