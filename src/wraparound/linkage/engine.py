"""Bulk linkage with Splink: prepare, train (EM), predict, cluster. No Django in here.

The engine works on a table of identity rows (``IDENTITY_COLUMNS`` plus an integer
``unique_id``) and returns scored pairs and clusters; ``linkage.services`` turns those into
links, new people and review pairs. The same trained model runs on DuckDB (default) or Spark
(``backend="spark"``): the comparisons are defined once (``linkage.model.COMPARISONS``) and
rendered for each SQL dialect, and the trained m/u values are carried across.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from wraparound.linkage import normalise as n
from wraparound.linkage.model import COMPARISONS, splink_comparisons

IDENTITY_COLUMNS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "phone",
    "email",
    "national_number",
)
BACKENDS = ("duckdb", "spark")

_FOLD = (
    "trim(regexp_replace(regexp_replace(strip_accents(lower(replace(replace("
    "coalesce({col}, ''), '''', ''), '-', ' '))), '[^a-z0-9 ]+', ' ', 'g'), '\\s+', ' ', 'g'))"
)


def _fold(col: str) -> str:
    return _FOLD.format(col=col)


# Built from constants only (no input reaches the SQL text).
_PREPARE_TEMPLATE = r"""
with base as (
    select
        unique_id,
        nullif(replace(FOLD(given_name), ' ', ''), '') as given,
        nullif(replace(FOLD(family_name), ' ', ''), '') as family,
        list_filter(string_split(FOLD(family_name), ' '), lambda x: x <> '') as family_tokens,
        nullif(substr(coalesce(cast(date_of_birth as varchar), ''), 1, 10), '') as dob,
        nullif(upper(regexp_replace(coalesce(postcode, ''), '\s+', '', 'g')), '') as postcode,
        nullif(FOLD(address), '') as address,
        nullif(lower(trim(coalesce(sex, ''))), '') as sex,
        nullif(right(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), 10), '') as phone,
        nullif(lower(trim(coalesce(email, ''))), '') as email,
        nullif(upper(regexp_replace(coalesce(national_number, ''), '[^A-Za-z0-9]', '', 'g')), '')
            as national_number
    from raw
)
select
    base.*,
    coalesce(aliases.given_aliases, []::varchar[]) as given_aliases,
    case when length(dob) = 10 and substr(dob, 9, 2) <= '12'
              and substr(dob, 6, 2) <> substr(dob, 9, 2)
         then substr(dob, 1, 5) || substr(dob, 9, 2) || '-' || substr(dob, 6, 2) end
        as dob_swapped,
    substr(dob, 1, 4) as yob,
    case when length(postcode) >= 5 and regexp_matches(substr(postcode, -3, 1), '[0-9]')
         then substr(postcode, 1, length(postcode) - 3) else postcode end as outward,
    substr(dob, 1, 7) as yob_month,
    substr(given, 1, 1) as giv1,
    substr(family, 1, 1) as fam1
from base left join aliases using (given)
"""
_GIVENS_SQL = re.sub(
    r"FOLD\((\w+)\)",
    lambda m: _fold(m.group(1)),
    "select distinct nullif(replace(FOLD(given_name), ' ', ''), '') from raw",
)
_PREPARE_SQL = re.sub(r"FOLD\((\w+)\)", lambda m: _fold(m.group(1)), _PREPARE_TEMPLATE)


def prepare(raw: pd.DataFrame | str | Path) -> pa.Table:
    """The identity rows normalised into the columns the comparisons read.

    ``raw`` is a DataFrame, or the path of a Parquet file (read by DuckDB directly, never
    through pandas), with ``unique_id`` and any of ``IDENTITY_COLUMNS`` (missing ones are
    empty). Normalisation runs in DuckDB (vectorised); nickname aliases are looked up once
    per distinct given name.
    """
    con = _connect()
    try:
        if isinstance(raw, pd.DataFrame):
            con.register("source", raw)
            present = set(raw.columns)
        else:
            con.register("source", con.read_parquet(str(raw)))
            present = {row[0] for row in con.execute("describe source").fetchall()}
        selected = ", ".join(
            f'cast("{c}" as varchar) as {c}' if c in present else f"'' as {c}"
            for c in IDENTITY_COLUMNS
        )
        con.execute(f"create view raw as select unique_id, {selected} from source")  # noqa: S608
        givens = con.execute(_GIVENS_SQL).fetchall()
        aliases = pd.DataFrame(
            {
                "given": [g for (g,) in givens if g],
                "given_aliases": [list(n.given_aliases(g)) for (g,) in givens if g],
            }
        )
        if aliases.empty:
            aliases = pd.DataFrame(
                {"given": pd.Series(dtype="str"), "given_aliases": pd.Series(dtype="object")}
            )
        con.register("aliases", aliases)
        return con.sql(_PREPARE_SQL).to_arrow_table()
    finally:
        con.close()


# DuckDB may take most of the machine's memory for hash joins by default; linkage is capped
# (it spills to disk beyond the cap) so a 1M-record run stays within a few GB.
DUCKDB_MEMORY_LIMIT = os.environ.get("WRAPAROUND_LINKAGE_MEMORY", "1500MB")


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT})
    con.execute(f"set temp_directory = '{tempfile.gettempdir()}/wraparound-duckdb'")
    return con


def blocking_rules() -> list[Any]:
    """Blocking rules chosen for recall: every realistic error leaves at least one intact.

    dob + family initial (moves, given-name variants); dob + given initial (surname
    changes); family + year and month of birth (day typos); given + family (missing or
    wrong dates); postcode + given initial (dates and surnames both changed); day/month
    swapped (with the given initial); dob + postcode and given/family swapped (names
    entered the wrong way round); national number.
    """
    from splink import block_on

    return [
        block_on("dob", "fam1"),
        block_on("dob", "giv1"),
        block_on("family", "yob_month"),
        block_on("given", "family"),
        block_on("postcode", "giv1"),
        "l.dob_swapped = r.dob AND l.giv1 = r.giv1",
        block_on("dob", "postcode"),
        "l.given = r.family AND l.family = r.given",
        block_on("national_number"),
    ]


def settings_creator(*, link_type: Any = "dedupe_only", prior: float = 1e-4) -> Any:
    from splink import SettingsCreator

    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=splink_comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )


def _quiet() -> None:
    logging.getLogger("splink").setLevel(logging.WARNING)


@dataclass
class TrainedModel:
    settings: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)


def _duckdb_linker(prepared: pa.Table | list[pa.Table], settings: Any) -> Any:
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=_connect())
    frames = prepared if isinstance(prepared, list) else [prepared]
    tables = [db_api.register(frame) for frame in frames]
    return Linker(tables if len(tables) > 1 else tables[0], settings, log_level=None)


TRAINING_SAMPLE = 200_000


def train(prepared: pa.Table | list[pa.Table], *, link_type: str = "dedupe_only") -> TrainedModel:
    """Estimate the prior, u by random sampling and m by EM; return the trained settings.

    Training runs on DuckDB whatever the backend that later predicts.
    """
    from splink import block_on

    _quiet()
    frames = prepared if isinstance(prepared, list) else [prepared]
    total = sum(len(f) for f in frames)
    if total > TRAINING_SAMPLE:
        # A uniform sample of records leaves m, u and the prior unbiased, and bounds the cost
        # of training whatever the size; term frequencies come from every record at predict.
        rng = np.random.default_rng(1)
        frames = [
            f.take(np.sort(rng.choice(len(f), int(len(f) * TRAINING_SAMPLE / total), False)))
            for f in frames
        ]
    rows = sum(len(f) for f in frames)
    linker = _duckdb_linker(frames, settings_creator(link_type=link_type))
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("given", "family", "dob"), block_on("national_number", "dob")], recall=0.7
    )
    training.estimate_u_using_random_sampling(max_pairs=1e6 if rows > 50_000 else 5e5, seed=1)
    # EM samples records so that the blocked pairs stay in the hundreds of thousands.
    proportion = min(1.0, 150_000 / max(rows, 1))
    training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), record_sample_proportion=proportion
    )
    training.estimate_parameters_using_expectation_maximisation(
        block_on("given", "family"), record_sample_proportion=proportion
    )
    settings = linker.misc.save_model_to_json()
    return TrainedModel(settings=settings, metrics={"trained_on": total, "sample": rows})


def default_settings() -> dict[str, Any]:
    """The documented default model (``linkage.model.default_parameters``) as Splink settings:
    used until a network has enough records to train on."""
    from wraparound.linkage.model import DEFAULT_PRIOR

    rendered: dict[str, Any] = (
        settings_creator(prior=DEFAULT_PRIOR).get_settings("duckdb").as_dict()
    )
    by_name = {spec.name: spec for spec in COMPARISONS}
    for comparison in rendered["comparisons"]:
        spec = by_name[comparison["output_column_name"]]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level, level_spec in zip(levels, spec.levels, strict=True):
            level["m_probability"] = level_spec.m
            level["u_probability"] = level_spec.u
            # Term frequencies from a small file mislead (every name is "common" in ten
            # records): the default model scores as the in-process scorer does, without.
            for key in ("tf_adjustment_column", "tf_adjustment_weight", "tf_minimum_u_value"):
                level.pop(key, None)
    return rendered


def _settings_for_dialect(trained: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The trained model's settings rendered for another SQL dialect, m/u carried over."""
    if dialect == trained.get("sql_dialect", "duckdb"):
        return copy.deepcopy(trained)
    creator = settings_creator(link_type=trained.get("link_type", "dedupe_only"))
    rendered: dict[str, Any] = creator.get_settings(dialect).as_dict()
    by_name = {c["output_column_name"]: c for c in trained["comparisons"]}
    for comparison in rendered["comparisons"]:
        source_levels = by_name[comparison["output_column_name"]]["comparison_levels"]
        for level, source in zip(comparison["comparison_levels"], source_levels, strict=True):
            for key in (
                "m_probability",
                "u_probability",
                "tf_adjustment_column",
                "tf_adjustment_weight",
                "tf_minimum_u_value",
            ):
                if key in source:
                    level[key] = source[key]
                else:
                    level.pop(key, None)
    rendered["probability_two_random_records_match"] = trained[
        "probability_two_random_records_match"
    ]
    return rendered


def predict(
    prepared: pa.Table | list[pa.Table],
    trained: dict[str, Any],
    *,
    threshold: float,
    backend: str = "duckdb",
    spark: Any = None,
) -> pd.DataFrame:
    """Scored pairs at or above ``threshold``: unique_id_l, unique_id_r, match_probability,
    match_weight (ids as in the input; the lower id on the left)."""
    _quiet()
    if backend not in BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    if backend == "duckdb":
        linker = _duckdb_linker(prepared, trained)
        result = linker.inference.predict(threshold_match_probability=threshold)
        pairs = result.as_pandas_dataframe()
    else:
        from splink import Linker, SparkAPI

        session = spark or spark_session()
        db_api = SparkAPI(spark_session=session, break_lineage_method="persist")
        frames = prepared if isinstance(prepared, list) else [prepared]
        tables = [db_api.register(session.createDataFrame(frame.to_pandas())) for frame in frames]
        linker = Linker(
            tables if len(tables) > 1 else tables[0],
            _settings_for_dialect(trained, "spark"),
            log_level=None,
        )
        pairs = linker.inference.predict(
            threshold_match_probability=threshold
        ).as_pandas_dataframe()
    pairs = pairs[["unique_id_l", "unique_id_r", "match_probability", "match_weight"]].copy()
    pairs["unique_id_l"] = pairs["unique_id_l"].astype("int64")
    pairs["unique_id_r"] = pairs["unique_id_r"].astype("int64")
    swap = pairs["unique_id_l"] > pairs["unique_id_r"]
    pairs.loc[swap, ["unique_id_l", "unique_id_r"]] = pairs.loc[
        swap, ["unique_id_r", "unique_id_l"]
    ].to_numpy()
    return pairs.reset_index(drop=True)


_SPARK: Any = None


def spark_session() -> Any:
    """A local-mode Spark session (one per process), sized for a small machine."""
    global _SPARK
    if _SPARK is None:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location

        _SPARK = (
            SparkSession.builder.master("local[2]")
            # Splink's string-similarity functions (Jaro-Winkler, Damerau-Levenshtein).
            .config("spark.jars", similarity_jar_location())
            .appName("wraparound-linkage")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.default.parallelism", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


def clusters(ids: Iterable[int], edges: pd.DataFrame) -> dict[int, int]:
    """Connected components: {id: cluster id (the smallest id in the cluster)}."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    id_array = np.fromiter(ids, dtype=np.int64)
    if id_array.size == 0:
        return {}
    index = pd.Index(id_array)
    left = index.get_indexer(pd.Index(edges["unique_id_l"].to_numpy()))
    right = index.get_indexer(pd.Index(edges["unique_id_r"].to_numpy()))
    keep = (left >= 0) & (right >= 0)
    size = id_array.size
    graph = coo_matrix(
        (np.ones(int(keep.sum()), dtype=np.int8), (left[keep], right[keep])), shape=(size, size)
    )
    _, labels = connected_components(graph, directed=False)
    smallest = pd.Series(id_array).groupby(labels).transform("min").to_numpy()
    return dict(zip(id_array.tolist(), smallest.tolist(), strict=True))


def pairwise_scores(
    truth_pairs: set[tuple[int, int]], found: set[tuple[int, int]]
) -> dict[str, float]:
    """Pairwise precision, recall and F1 of found pairs against true pairs (lower id first)."""
    true_positive = len(truth_pairs & found)
    precision = true_positive / len(found) if found else 1.0
    recall = true_positive / len(truth_pairs) if truth_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_positives": true_positive}
