"""Online matching latency: candidate lookup + in-process scoring against N indexed people,
beside Splink's own per-record prediction on the same index (bench only).

``online_benchmark(records, *, params=None, size=None, ...) -> dict`` is called by
``bench/linkage.py`` (or run this file directly). It holds out ``queries`` records of people
who appear more than once, indexes every other record as a ``Person`` with its match keys in
a fresh SQLite database (a child process: the settings read DATABASE_URL at import), then:

- **online**: ``people.matching.score_candidates`` for each held-out record — the indexed
  key lookup, fetching the candidates and scoring each with the linkage model's m/u — the
  same call the registration page and ``GET /api/v1/people/match`` make (they add the access
  decision and the audit, a few more milliseconds);
- **Splink**: ``linker.inference.find_matches_to_new_records`` for a few of the same
  records against the same index (DuckDB, the linkage engine's blocking rules and settings).

Keys: ``online_p50_ms``, ``online_p95_ms``, ``splink_per_record_ms`` (median),
``online_ratio_vs_splink`` (Splink's median / online p50: how many times faster),
``online_recall`` (share of held-out records whose person was among the candidates shown),
``online_indexed`` (people indexed), ``online_keys`` (keys indexed). Target: p95 <= 20 ms
against 1,000,000 records.

    python bench/_linkage_online.py [--size 100000] [--queries 300] [--splink-queries 5]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from _common import (  # noqa: E402
    REPO_DIR,
    SRC_DIR,
    Stats,
    log,
    migrate,
    print_json_line,
    ratio,
    run_child,
    setup_django,
    temporary_sqlite_database,
)

if str(SRC_DIR) not in sys.path:
    sys.path.insert(0, str(SRC_DIR))


def online_benchmark(
    records: pd.DataFrame,
    *,
    params: Any = None,
    size: int | None = None,
    queries: int = 300,
    splink_queries: int = 5,
    splink_settings: dict[str, Any] | None = None,
    **_: Any,
) -> dict[str, Any]:
    """Run the online benchmark on ``records`` (the generator's frame) in a child process."""
    with tempfile.TemporaryDirectory(prefix="bench-online-") as directory:
        work = Path(directory)
        records.to_parquet(work / "records.parquet")
        (work / "params.pickle").write_bytes(pickle.dumps(params))
        (work / "splink.json").write_text(json.dumps(splink_settings))
        return run_child(
            [
                str(Path(__file__).resolve()),
                "--child",
                str(work),
                "--queries",
                str(queries),
                "--splink-queries",
                str(splink_queries),
            ],
            timeout_s=3600,
        )


def _hold_out(records: pd.DataFrame, queries: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Held-out records of people who have another record in the index."""
    counts = records["truth"].map(records["truth"].value_counts())
    repeated = records[counts > 1].drop_duplicates("truth")
    chosen = repeated.sample(n=min(queries, len(repeated)), random_state=1)
    return records.drop(chosen.index), chosen


def _date(text: str) -> date | None:
    """An agency's date of birth, or None when empty or impossible (a typo: 1981-02-29)."""
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _load_people(index: pd.DataFrame) -> int:
    """Insert one Person per record (id = unique_id + 1) and its match keys, in bulk."""
    from django.db import connection, transaction

    from wraparound.core.models import Network
    from wraparound.linkage.normalise import fold
    from wraparound.people.matching import MatchInput, match_keys
    from wraparound.people.models import Person, PersonMatchKey

    network = Network.objects.create(slug="bench", name="Bench network")
    fields = [f for f in Person._meta.concrete_fields if not f.primary_key]
    defaults = {f.column: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    now = "2026-11-22 00:00:00"
    defaults |= {"network_id": network.pk, "created_at": now, "updated_at": now}
    columns = ["id", *(f.column for f in fields)]
    person_sql = (
        f"INSERT INTO {Person._meta.db_table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    key_table = PersonMatchKey._meta.db_table
    key_sql = f"INSERT INTO {key_table} (person_id, network_id, key) VALUES (%s, %s, %s)"
    frame = index.fillna("")
    people: list[tuple[Any, ...]] = []
    keys: list[tuple[int, int, str]] = []
    total_keys = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP INDEX person_match_key_lookup")
        cursor.execute("DROP INDEX person_match_key_person")
        for row in frame.itertuples(index=False):
            dob = _date(row.date_of_birth)
            values = defaults | {
                "given_name": row.given_name[:100],
                "family_name": row.family_name[:100],
                "date_of_birth": dob.isoformat() if dob else None,
                "sex": row.sex or "not_known",
                "phone": row.phone[:20],
                "email": row.email[:254],
                "address_line_1": row.address[:200],
                "postcode": row.postcode[:12],
                "sort_name": f"{fold(row.family_name)} {fold(row.given_name)}"[:210],
            }
            pk = int(row.unique_id) + 1
            people.append((pk, *(values[c] for c in columns[1:])))
            record = MatchInput(
                given_name=row.given_name,
                family_name=row.family_name,
                date_of_birth=dob,
                postcode=row.postcode,
                phone=row.phone,
                email=row.email,
            )
            keys += [(pk, network.pk, k) for k in match_keys(record)]
            if len(people) >= 20_000:
                cursor.executemany(person_sql, people)
                cursor.executemany(key_sql, keys)
                total_keys += len(keys)
                people, keys = [], []
                if (pk // 20_000) % 10 == 0:
                    log(f"  indexed {pk:,} people")
        cursor.executemany(person_sql, people)
        cursor.executemany(key_sql, keys)
        total_keys += len(keys)
        log("  building the key index")
        cursor.execute(
            f"CREATE INDEX person_match_key_lookup ON {key_table} (network_id, key, person_id)"
        )
        cursor.execute(f"CREATE INDEX person_match_key_person ON {key_table} (person_id)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return total_keys


def _query(row: Any) -> Any:
    from wraparound.people.matching import MatchInput

    return MatchInput(
        given_name=row.given_name,
        family_name=row.family_name,
        date_of_birth=_date(row.date_of_birth),
        sex=row.sex,
        postcode=row.postcode,
        address=row.address,
        phone=row.phone,
        email=row.email,
    )


def _splink_per_record(
    index: pd.DataFrame, held: pd.DataFrame, settings: dict[str, Any] | None, n: int
) -> list[float]:
    """Splink's per-record prediction: ``predict_between`` one new record and the index
    (Splink 5's successor of ``find_matches_to_new_records``), with the engine's blocking
    rules and settings, on DuckDB."""
    from splink import DuckDBAPI, Linker

    from wraparound.linkage import engine

    engine._quiet()
    db_api = DuckDBAPI()
    indexed = db_api.register(engine.prepare(index))
    settings = settings or engine.default_settings()
    linker = Linker(indexed, settings, log_level=None)
    # A trained model adjusts for term frequencies: their tables, from the index, up front
    # (predict_between does not derive them), as a service answering one at a time would.
    tf_columns = {
        level["tf_adjustment_column"]
        for comparison in settings.get("comparisons", [])
        for level in comparison.get("comparison_levels", [])
        if level.get("tf_adjustment_column")
    }
    for column in sorted(tf_columns):
        linker.table_management.compute_tf_table(column)
    new = engine.prepare(held.assign(unique_id=held["unique_id"] + 10_000_000))
    if not isinstance(new, pd.DataFrame):  # an Arrow table
        new = new.to_pandas()
    rules = engine.blocking_rules()
    timings: list[float] = []
    for i in range(min(n, len(new)) + 1):  # the first call warms up (not timed)
        one = new.iloc[[i % len(new)]].reset_index(drop=True)
        start = time.perf_counter()
        linker.inference.predict_between(
            db_api.register(one),
            indexed,
            blocking_rules_to_generate_predictions=rules,
            threshold_match_weight=-4,
            warning_mode="never",
        ).as_pandas_dataframe()
        if i:
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def _child(work: Path, queries: int, splink_queries: int) -> dict[str, Any]:
    records = pd.read_parquet(work / "records.parquet")
    # Written a moment ago by the parent process, into its own temporary directory.
    params = pickle.loads((work / "params.pickle").read_bytes())  # noqa: S301
    splink_settings = json.loads((work / "splink.json").read_text())
    for column in ("given_name", "family_name", "date_of_birth", "sex", "address", "postcode"):
        records[column] = records[column].fillna("").astype(str)
    for column in ("phone", "email"):
        records[column] = records[column].fillna("").astype(str)
    index, held = _hold_out(records, queries)
    with temporary_sqlite_database("bench-online-") as url, tempfile.TemporaryDirectory() as var:
        setup_django(url, var_dir=Path(var))
        migrate()
        from wraparound.core.models import Network
        from wraparound.linkage.model import default_parameters
        from wraparound.people.matching import score_candidates

        params = params or default_parameters()
        log(f"indexing {len(index):,} records as people with match keys")
        started = time.perf_counter()
        keys = _load_people(index)
        log(f"indexed in {time.perf_counter() - started:.0f} s ({keys:,} keys)")
        network_id = Network.objects.get(slug="bench").pk
        truth_of = dict(zip(index["unique_id"] + 1, index["truth"], strict=True))
        rows = list(held.itertuples(index=False))
        for row in rows[:20]:  # warm the caches, as a running server is
            score_candidates(_query(row), network_id=network_id, params=params)
        timings: list[float] = []
        found = 0
        shown = 0
        for row in rows:
            record = _query(row)
            start = time.perf_counter()
            results = score_candidates(record, network_id=network_id, params=params)
            timings.append((time.perf_counter() - start) * 1000)
            shown += len(results)
            found += any(truth_of.get(r.person.pk) == row.truth for r in results[:10])
        online = Stats.of(timings)
        recall = found / len(rows)
        log(f"online: p50 {online.p50_ms} ms, p95 {online.p95_ms} ms, recall {recall:.3f}")
    log(f"Splink predict_between, one record against the same {len(index):,} records")
    splink = _splink_per_record(index, held, splink_settings, splink_queries)
    splink_ms = float(np.median(splink)) if splink else 0.0
    log(f"Splink: {splink_ms:.0f} ms per record")
    return {
        "online_p50_ms": online.p50_ms,
        "online_p95_ms": online.p95_ms,
        "online_mean_ms": online.mean_ms,
        "online_queries": online.n,
        "online_recall": round(found / len(rows), 4),
        "online_candidates_mean": round(shown / len(rows), 2),
        "online_indexed": len(index),
        "online_keys": keys,
        "splink_per_record_ms": round(splink_ms, 1),
        "splink_queries": len(splink),
        "online_ratio_vs_splink": ratio(splink_ms, online.p50_ms),
        "online_target_met": online.p95_ms <= 20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=100_000, help="records to generate")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--splink-queries", type=int, default=5)
    args = parser.parse_args()
    if args.child:
        print_json_line(_child(Path(args.child), args.queries, args.splink_queries))
        return
    from _people_generator import generate

    log(f"generating {args.size:,} records")
    records = generate(args.size, seed=1)
    result = online_benchmark(
        records, size=args.size, queries=args.queries, splink_queries=args.splink_queries
    )
    result["size"] = args.size
    print_json_line(result)


if __name__ == "__main__":
    assert REPO_DIR.exists()
    main()
